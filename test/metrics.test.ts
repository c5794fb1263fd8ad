import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort, METRICS_TOKEN, scrapeMetrics, startIdp } from '../harness/idp.ts';

describe('/metrics is not public', () => {
  it('is not served on the public listener without a metrics token', async () => {
    const idp = await startIdp({ secrets: { admin_token: 'test-admin-token-0123456789' } });
    try {
      assert.equal((await fetch(`${idp.issuer}/metrics`)).status, 404);
    } finally {
      await idp.close();
    }
  });

  it('answers 401 to a missing or wrong bearer token and the metrics to the right one', async () => {
    const idp = await startIdp();
    try {
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${METRICS_TOKEN}`]) {
        const res = await fetch(`${idp.issuer}/metrics`, { headers: authorization ? { authorization } : {} });
        assert.equal(res.status, 401, String(authorization));
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.doesNotMatch(await res.text(), /adieu_/);
      }
      assert.match(await scrapeMetrics(idp.issuer), /adieu_logout_queue_depth/);
    } finally {
      await idp.close();
    }
  });

  it('is served on its own listener when metrics.listen is set, and then not on the public one', async () => {
    const idp = await startIdp({ secrets: { admin_token: 'test-admin-token-0123456789' }, metrics: { listen: { host: '127.0.0.1', port: await freePort() } } });
    try {
      assert.equal((await fetch(`${idp.issuer}/metrics`)).status, 404);
      const res = await fetch(idp.adieu.metricsUrl!);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /adieu_logouts_total/);
    } finally {
      await idp.close();
    }
  });

  it('reads the queue depth from storage once per max age, however often it is scraped', async () => {
    const idp = await startIdp({ metrics: { queue_depth_max_age_ms: 60_000 } });
    try {
      let reads = 0;
      const storage = idp.adieu.storage;
      const read = storage.deliveryQueueDepth.bind(storage);
      storage.deliveryQueueDepth = async () => { reads++; return read(); };
      await Promise.all(Array.from({ length: 20 }, () => scrapeMetrics(idp.issuer)));
      for (let i = 0; i < 10; i++) await scrapeMetrics(idp.issuer);
      assert.equal(reads, 1);
    } finally {
      await idp.close();
    }
  });
});
