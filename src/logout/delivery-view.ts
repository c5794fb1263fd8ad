import { FINAL_STATUSES, SUCCESS_STATUSES, type Delivery, type LogoutRecord } from '../storage/types.ts';
import { NO_CHANNEL } from './channels/index.ts';

/** Where the browser goes to watch a logout it started. */
export const logoutPageUrl = (logout: LogoutRecord) => `/logout/${logout.id}?token=${logout.page_token}`;

/** A logout worth showing the person: some application has a logout channel. */
export const needsLogoutPage = (deliveries: Delivery[]) => deliveries.some((d) => d.channel !== NO_CHANNEL.name);

const STATUS_TEXT: Record<string, string> = {
  pending: 'signing out…', delivering: 'signing out…', retrying: 'not answering yet — retrying in the background',
  awaiting_browser: 'signing out…', delivered: 'signed out', confirmed: 'signed out (confirmed)', loaded: 'signed out (page loaded, not confirmed)',
  rejected: 'refused the sign-out', failed: 'could not be reached', timed_out: 'did not answer in time',
  cookies_blocked: 'your browser blocked its cookies — it may still be signed in', skipped: 'could not be signed out here',
  no_channel: 'may still be signed in (no logout URL registered)',
};

function tone(status: string) {
  if (SUCCESS_STATUSES.has(status as any)) return 'ok';
  if (FINAL_STATUSES.has(status as any)) return 'bad';
  return 'wait';
}

/**
 * What the person who signed out sees of a delivery: the application and a status class, never
 * what the application answered (error pages leak secrets); the admin's view adds that.
 */
export function deliveryView(d: Delivery) {
  return {
    id: d.id, client_id: d.client_id, client_name: d.client_name ?? d.client_id, channel: d.channel,
    status: d.status, status_text: STATUS_TEXT[d.status] ?? d.status, tone: tone(d.status),
    attempts: d.attempts, final: FINAL_STATUSES.has(d.status),
  };
}
