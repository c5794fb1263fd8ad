import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { AdieuConfig } from '../config/schema.ts';
import type { Storage } from '../storage/types.ts';
import { throttleKeys, throttleVerdict, type ThrottleScope } from '../users/login-throttle.ts';

export type GuardVerdict = { refused: false } | { refused: true; scope: ThrottleScope; retry_after_s: number };

/**
 * Password sign-ins pass through here: refused while the account name or the address is
 * throttled (before the password is checked, known name or not), counted when they fail,
 * and the account's count is cleared when one succeeds.
 */
export class LoginGuard {
  readonly #failures: Counter<'connection'>;
  readonly #throttled: Counter<'scope'>;

  constructor(private readonly config: AdieuConfig, private readonly storage: Storage, private readonly logger: Logger, registry: Registry) {
    this.#failures = new Counter({ name: 'adieu_login_failures_total', help: 'Failed password sign-ins', labelNames: ['connection'], registers: [registry] });
    this.#throttled = new Counter({ name: 'adieu_login_throttled_total', help: 'Password sign-ins refused by the throttle, by the key that refused them', labelNames: ['scope'], registers: [registry] });
  }

  #verdict(rows: Awaited<ReturnType<Storage['getLoginFailures']>>, keys: Record<ThrottleScope, string>, now_ms: number): GuardVerdict {
    const { until_ms, scope } = throttleVerdict(rows, keys, this.config.login_throttle);
    return until_ms > now_ms ? { refused: true, scope: scope!, retry_after_s: Math.ceil((until_ms - now_ms) / 1000) } : { refused: false };
  }

  async check(connection: string, username: string, ip: string): Promise<GuardVerdict> {
    const keys = throttleKeys(connection, username, ip);
    const verdict = this.#verdict(await this.storage.getLoginFailures(Object.values(keys)), keys, Date.now());
    if (verdict.refused) {
      this.#throttled.inc({ scope: verdict.scope });
      this.logger.warn({ event: 'login.throttled', connection, scope: verdict.scope, retry_after_s: verdict.retry_after_s }, 'sign-in refused: too many failures');
    }
    return verdict;
  }

  /** Counts a failure; says whether the next attempt will be refused, and for how long. */
  async failed(connection: string, username: string, ip: string): Promise<GuardVerdict> {
    const keys = throttleKeys(connection, username, ip);
    const now_ms = Date.now();
    const rows = await this.storage.recordLoginFailure(Object.values(keys), now_ms, this.config.login_throttle.window_ms);
    this.#failures.inc({ connection });
    this.logger.info({ event: 'login.failed', connection }, 'wrong username or password');
    return this.#verdict(rows, keys, now_ms);
  }

  async succeeded(connection: string, username: string, ip: string): Promise<void> {
    await this.storage.clearLoginFailures([throttleKeys(connection, username, ip).account]);
  }
}

/** "in 3 minutes", "in 20 seconds" */
export function inWords(seconds: number): string {
  return seconds >= 90 ? `in ${Math.ceil(seconds / 60)} minutes` : `in ${seconds} second${seconds === 1 ? '' : 's'}`;
}
