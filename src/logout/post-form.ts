import type { Agent } from 'undici';

export interface PostResult {
  status: number;
  /** The start of the body of an answer other than 200/204 (for the delivery's last_error), or up to `answerLimit` of any answer. */
  text: string;
}

export interface PostOptions {
  contentType?: string;
  headers?: Record<string, string>;
  /** Keep this much of every answer, 200 included (a SOAP LogoutResponse is read); default: errors only. */
  answerLimit?: number;
}

const OK = (status: number) => status === 200 || status === 204;

/**
 * POSTs an application/x-www-form-urlencoded body with undici's dispatch API. `request()` builds
 * a readable stream per response; a logout fan-out only needs the status (and a little of an
 * error's body), and dispatch took about 30% less CPU per request for 100 parallel POSTs
 * (bench/fanout.ts), CPU the thread signing the next tokens gets instead.
 *
 * undici 7's core takes the handler methods below (its `request()` uses them too); the types
 * mark them deprecated in favour of controller-based ones that `Agent.dispatch` does not yet take.
 */
export class AttemptTimeout extends Error {
  readonly code = 'ADIEU_ATTEMPT_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeout';
  }
}

/**
 * `timeoutMs` bounds the whole attempt (connect, headers and body): undici's own timeouts are
 * per phase and per chunk, so an answer that trickles a byte at a time would never end.
 */
export function postForm(agent: Agent, target: string, body: string, errorBodyLimit: number, timeoutMs: number, options: PostOptions = {}): Promise<PostResult> {
  const url = new URL(target);
  const keep = (status: number) => (options.answerLimit !== undefined ? true : !OK(status));
  const limit = options.answerLimit ?? errorBodyLimit;
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    let kept = 0;
    let abort: ((reason: Error) => void) | undefined;
    // the error is made only when it happens: an Error captures a stack trace, which costs more
    // than the rest of a loopback request
    const timer = setTimeout(() => {
      const timeout = new AttemptTimeout(timeoutMs);
      abort?.(timeout);
      reject(timeout);
    }, timeoutMs);
    agent.dispatch({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded', 'cache-control': 'no-cache', ...options.headers },
      body,
    }, {
      onConnect(abortRequest: (reason: Error) => void) {
        abort = abortRequest;
      },
      onUpgrade() {},
      onHeaders(statusCode: number) {
        status = statusCode;
        return true;
      },
      onData(chunk: Buffer) {
        if (keep(status) && kept < limit) {
          chunks.push(chunk);
          kept += chunk.length;
        }
        return true;
      },
      onComplete() {
        clearTimeout(timer);
        resolve({ status, text: keep(status) ? Buffer.concat(chunks).toString('utf8').slice(0, limit) : '' });
      },
      onError(err: Error) {
        clearTimeout(timer);
        reject(err);
      },
    });
  });
}
