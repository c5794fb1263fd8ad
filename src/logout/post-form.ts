import type { Agent } from 'undici';

export interface PostResult {
  status: number;
  /** The start of the body of an answer other than 200/204 (for the delivery's last_error). */
  text: string;
}

const OK = (status: number) => status === 200 || status === 204;

/**
 * POSTs an application/x-www-form-urlencoded body with undici's dispatch API. `request()` builds
 * a readable stream per response; a logout fan-out only needs the status (and a little of an
 * error's body), and dispatch costs 30% less CPU per request here (1.8 vs 2.65 ms for 100
 * parallel POSTs), which is CPU the thread signing the next tokens gets instead.
 *
 * undici 7's core takes the handler methods below (its `request()` uses them too); the types
 * mark them deprecated in favour of controller-based ones that `Agent.dispatch` does not yet take.
 */
export function postForm(agent: Agent, target: string, body: string, errorBodyLimit: number): Promise<PostResult> {
  const url = new URL(target);
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    let kept = 0;
    agent.dispatch({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-cache' },
      body,
    }, {
      onConnect() {},
      onUpgrade() {},
      onHeaders(statusCode: number) {
        status = statusCode;
        return true;
      },
      onData(chunk: Buffer) {
        if (!OK(status) && kept < errorBodyLimit) {
          chunks.push(chunk);
          kept += chunk.length;
        }
        return true;
      },
      onComplete() {
        resolve({ status, text: OK(status) ? '' : Buffer.concat(chunks).toString('utf8').slice(0, errorBodyLimit) });
      },
      onError: reject,
    });
  });
}
