import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { postForm } from './post-form.ts';

describe('postForm', () => {
  const seen: { path: string; type: string | undefined; body: string }[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ path: req.url!, type: req.headers['content-type'], body });
    const path = req.url!.split('?')[0];
    if (path === '/ok') res.writeHead(200).end('ignored');
    else if (path === '/empty') res.writeHead(204).end();
    else if (path === '/drip') {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 50);
      res.once('close', () => clearInterval(timer));
    }
    else res.writeHead(503).end('x'.repeat(100_000));
  });
  const agent = new Agent();
  let base = '';
  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await agent.close();
    server.close();
  });

  it('POSTs the form and reports the status; keeps only the start of an error body', async () => {
    assert.deepEqual(await postForm(agent, `${base}/ok?q=1`, 'logout_token=a.b.c', 300, 5000), { status: 200, text: '' });
    assert.deepEqual(await postForm(agent, `${base}/empty`, 'logout_token=a.b.c', 300, 5000), { status: 204, text: '' });
    const failed = await postForm(agent, `${base}/busy`, 'logout_token=a.b.c', 300, 5000);
    assert.equal(failed.status, 503);
    assert.equal(failed.text, 'x'.repeat(300));
    assert.deepEqual(seen[0], { path: '/ok?q=1', type: 'application/x-www-form-urlencoded', body: 'logout_token=a.b.c' });
  });

  it('bounds the whole attempt: an answer that trickles forever times out', async () => {
    const started = Date.now();
    await assert.rejects(postForm(agent, `${base}/drip`, 'a=b', 300, 400), (err: Error & { code?: string }) => err.code === 'ADIEU_ATTEMPT_TIMEOUT');
    const took = Date.now() - started;
    assert.ok(took >= 400 && took < 2000, `gave up at the deadline (${took} ms)`);
  });

  it('rejects when nothing listens', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await assert.rejects(postForm(agent, `http://127.0.0.1:${port}/x`, 'a=b', 300, 5000), (err: Error & { code?: string }) => err.code === 'ECONNREFUSED');
  });
});
