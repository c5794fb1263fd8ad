import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsConfirmation } from './v2-logout.ts';

describe('needsConfirmation', () => {
  const bare = { returnTo: undefined, clientId: undefined, federated: false };
  it('asks only with cross_site, for requests without client_id that another site (or an unknown one) started', () => {
    const cases: [Parameters<typeof needsConfirmation>, boolean][] = [
      [['never', 'cross-site', bare], false],
      [['cross_site', 'cross-site', bare], true],
      [['cross_site', '', bare], true],
      [['cross_site', 'same-origin', bare], false],
      [['cross_site', 'same-site', bare], false],
      [['cross_site', 'none', bare], false],
      [['cross_site', 'cross-site', { ...bare, clientId: 'app1' }], false],
    ];
    for (const [args, expected] of cases) assert.equal(needsConfirmation(...args), expected, JSON.stringify(args));
  });
});
