import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Delivery, LogoutRecord } from '../storage/types.ts';

export interface LogoutEventMap {
  'logout.started': [{ logout: LogoutRecord; deliveries: Delivery[] }];
  'delivery.succeeded': [{ delivery: Delivery }];
  'delivery.retrying': [{ delivery: Delivery }];
  'delivery.failed': [{ delivery: Delivery }];
  'logout.completed': [{ logout: LogoutRecord }];
  /** A logout URL failed circuit_failure_threshold times in a row: attempts to it pause. */
  'circuit.opened': [{ target: string }];
  'circuit.closed': [{ target: string }];
}

/**
 * Logout events for code (`adieu.events.on('delivery.failed', ...)`) and for the logs: every
 * event is also written by pino with `event` set to its name.
 */
export class LogoutEvents extends EventEmitter<LogoutEventMap> {
  constructor(private readonly logger: Logger) {
    super();
  }

  publish<K extends keyof LogoutEventMap>(name: K, ...args: LogoutEventMap[K]) {
    const payload = args[0] as Record<string, any>;
    const d = payload.delivery as Delivery | undefined;
    const l = payload.logout as LogoutRecord | undefined;
    const fields = payload.target ? { target: payload.target } : d
      ? { logout_id: d.logout_id, delivery_id: d.id, client_id: d.client_id, channel: d.channel, status: d.status, attempts: d.attempts, latency_ms: d.latency_ms, error: d.last_error ?? undefined }
      : { logout_id: l?.id, trigger: l?.trigger, account_id: l?.account_id, status: l?.status, deliveries: payload.deliveries?.length };
    const level = name === 'delivery.failed' || name === 'circuit.opened' ? 'warn' : 'info';
    this.logger[level]({ event: name, ...fields }, name);
    (this.emit as any)(name, ...args);
  }
}
