import { parseArgs } from 'node:util';
import { ConfigError, ENV_OVERRIDES, loadConfigFile } from './config/load.ts';
import { rotateSigningKeys } from './provider/keys.ts';
import { startAdieu } from './server.ts';
import { openStorage } from './storage/open.ts';

const HELP = `adieu — single sign-on server whose sign-out reaches every application

Usage:
  adieu serve --config FILE        Run the identity provider described by FILE (JSON or YAML).
  adieu check-config --config FILE Validate FILE and print what it declares; exit 1 on errors.
  adieu rotate-key --config FILE   Add a new signing key per algorithm (RS256, ES256); they sign from
                                   the next start, older keys stay in the JWKS so issued tokens still verify.
  adieu --help                     Show this help.

Options:
  -c, --config FILE   Configuration file (see config/adieu.example.yaml).
  -p, --port N        Override the port from the configuration.
  -h, --help          Show this help.

Environment variables override secrets in the file:
${Object.entries(ENV_OVERRIDES).map(([k, v]) => `  ${k.padEnd(38)} ${v}`).join('\n')}
`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`adieu: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command || command === 'help') {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  if (!['serve', 'check-config', 'rotate-key'].includes(command)) {
    process.stderr.write(`adieu: unknown command ${command}\n\n${HELP}`);
    return 2;
  }
  if (!values.config) {
    process.stderr.write(`adieu ${command}: --config FILE is required\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfigFile(values.config);
    if (values.port !== undefined) {
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port ${values.port} is not a port number`);
      config.port = port;
    }
  } catch (err) {
    process.stderr.write(`adieu: ${(err as Error).message}\n`);
    return 1;
  }

  if (command === 'check-config') {
    process.stdout.write(`${values.config} is valid: issuer ${config.issuer}, ${config.storage.kind} storage, `
      + `${config.connections.length} connection(s), ${config.clients.length} client(s), ${config.users.length} user(s)\n`);
    return 0;
  }
  if (command === 'rotate-key') {
    const storage = await openStorage(config.storage);
    try {
      for (const kid of await rotateSigningKeys(storage)) process.stdout.write(`added signing key ${kid}\n`);
    } finally {
      await storage.close();
    }
    return 0;
  }

  const adieu = await startAdieu(config);
  const stop = async () => {
    await adieu.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1; // keep running
}
