import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdieuConfig } from '../config/schema.ts';
import type { StoredClient } from '../storage/types.ts';
import { allowedReturnUrls } from './returns.ts';

const config = { tenant: { allowed_logout_urls: ['https://tenant.example/bye'] } } as AdieuConfig;
const client = (metadata: Record<string, unknown>) => ({ client_id: 'a', metadata, source: 'api' }) as unknown as StoredClient;

describe('allowedReturnUrls', () => {
  it('is the tenant list without a client, and only the client\'s lists with one', () => {
    assert.deepEqual(allowedReturnUrls(config, undefined), ['https://tenant.example/bye']);
    assert.deepEqual(allowedReturnUrls(config, client({ allowed_logout_urls: ['https://a/bye'], post_logout_redirect_uris: ['https://a/out'] })), ['https://a/bye', 'https://a/out']);
    assert.deepEqual(allowedReturnUrls(config, client({})), [], 'a client with no lists allows nothing, not the tenant list');
  });
});
