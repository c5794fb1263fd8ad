// A bare oidc-provider (the version Adieu uses) with its default in-memory adapter, its
// development login (any name), one ES256 key and one client: the baseline for Adieu's silent
// sign-in (npm run bench login). Run as its own process: node bench/bare-provider.mjs <port>
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const provider = new Provider(`http://localhost:${port}`, {
  clients: [{
    client_id: 'app1', client_secret: 'app1-secret-0123456789', redirect_uris: ['http://localhost:9/app1/callback'],
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench' }] },
  pkce: { required: () => true },
  cookies: { keys: ['bench-cookie-key-0123456789'] },
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
});
provider.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
