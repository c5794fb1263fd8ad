// npm start: the reference document's whole system on this machine, on the embedded storage.
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEMO_ADMIN, DEMO_USER, DOCUMENT_APPS, SAML_APP, startScenario, type IdpChannel } from './scenario.ts';

const { values } = parseArgs({
  options: {
    'base-port': { type: 'string', default: process.env.ADIEU_DEMO_BASE_PORT ?? '3000' },
    'data-dir': { type: 'string', default: process.env.ADIEU_DEMO_DATA_DIR ?? 'data/demo' },
    channel: { type: 'string', default: process.env.ADIEU_DEMO_CHANNEL ?? 'backchannel' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`npm start [-- --base-port N] [--data-dir DIR] [--channel backchannel|frontchannel|none]
  Ports: IdP N, FabrikamAD N+1, sign-out app N+100, applications N+101..N+103, SAML application N+104 (default N=3000).
  --channel: how the IdP itself signs the applications out at logout (besides the sign-out app).`);
  process.exit(0);
}
const basePort = Number(values['base-port']);
const channel = values.channel as IdpChannel;
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65000) throw new Error('--base-port must be a port number');
if (!['backchannel', 'frontchannel', 'none'].includes(channel)) throw new Error('--channel must be backchannel, frontchannel or none');
mkdirSync(values['data-dir']!, { recursive: true });

const started = performance.now();
const scenario = await startScenario({
  basePort, dataDir: values['data-dir']!, channels: { jwt: channel, sharepoint: channel, timesheets: channel }, logLevel: 'warn',
});
const ms = Math.round(performance.now() - started);
const line = (url: string, what: string) => console.log(`  ${url.padEnd(24)} ${what}`);
console.log(`\nAdieu demo ready in ${ms} ms: Fabrikam's single sign-on and single sign-out.\n`);
for (const [key, app] of Object.entries(scenario.apps)) line(app.url, `${app.name}: ${DOCUMENT_APPS.find((a) => a.key === key)!.tagline}`);
line(scenario.samlApp.url, `${SAML_APP.name}: ${SAML_APP.tagline} (a SAML 2.0 application)`);
line(scenario.urls.logoutApp, 'Single-logout application (where each app\'s Sign-out button goes)');
line(scenario.urls.idp, 'Adieu, the identity provider (admin API token: demo-admin-token-change-me)');
line(`${scenario.urls.idp}/admin`, `Adieu's admin console (${DEMO_ADMIN.username} / ${DEMO_ADMIN.password})`);
line(scenario.urls.fabrikam, 'FabrikamAD, the upstream enterprise directory (the document\'s ADFS)');
console.log(`\nSign in to any application as ${DEMO_USER.username} / ${DEMO_USER.password}`);
console.log('(one password prompt at FabrikamAD, then every other application signs in silently).');
console.log('Press Sign-out in one of them to watch every application sign out. Ctrl-C stops everything.\n');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  await scenario.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
