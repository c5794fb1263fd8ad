// One frame-watcher for every page that signs a person out of applications in frames: Adieu's
// logout page and a single-logout application (the demo's). Written once, typed, bundled.

/** The message an application's logout page posts to the page framing it (confirmLogout). */
export const LOGOUT_MESSAGE_TYPE = 'adieu:logout';

export interface LogoutMessage {
  type: typeof LOGOUT_MESSAGE_TYPE;
  /**
   * signed_out: the application ended its session; no_session: it saw none (cookies blocked?);
   * refused: it answered that it did not sign out.
   */
  status: 'signed_out' | 'no_session' | 'refused';
}

/** What became of one framed logout URL. */
export type FrameStatus = 'confirmed' | 'loaded' | 'timed_out' | 'cookies_blocked' | 'refused';

export interface FrameOutcome {
  status: FrameStatus;
  /** From the start of the watch to the outcome. */
  latency_ms: number;
  error: string | null;
}

/** How the person reads each outcome (the IdP's logout page and the demo use the same words). */
export const FRAME_STATUS_TEXT: Record<FrameStatus, string> = {
  confirmed: 'signed out (confirmed)',
  loaded: 'signed out (page loaded, not confirmed)',
  timed_out: 'did not answer in time',
  cookies_blocked: 'your browser blocked its cookies — it may still be signed in',
  refused: 'refused the sign-out',
};

export const COOKIES_BLOCKED_ERROR = 'the application could not see its session cookie inside the frame (third-party cookies blocked)';

export interface WatchOptions {
  /** The logout URL: set as the frame's src once listening; omit when the frame already has it. */
  url?: string;
  /** The origin whose messages count (the logout URL's). */
  origin: string;
  timeout_ms: number;
  /** After the frame loads, how long a confirmation message may still take before "loaded". */
  loaded_grace_ms?: number;
  /** Only a message counts (a SAML LogoutResponse reaching the IdP): a loaded frame is not an answer. */
  require_confirmation?: boolean;
}

const isLogoutMessage = (data: unknown): data is LogoutMessage =>
  !!data && typeof data === 'object' && (data as { type?: unknown }).type === LOGOUT_MESSAGE_TYPE;

/** The message-watching shared by a frame and a window: one outcome, from `source` only. */
function watchMessages(
  source: () => MessageEventSource | null,
  options: WatchOptions,
  hooks: { onLoad?: (loaded: () => void) => void; start: () => void },
): Promise<FrameOutcome> {
  const started = performance.now();
  const grace_ms = options.loaded_grace_ms ?? 1000;
  return new Promise((resolve) => {
    let done = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (status: FrameStatus, error: string | null = null) => {
      if (done) return;
      done = true;
      window.removeEventListener('message', onMessage);
      for (const t of timers) clearTimeout(t);
      resolve({ status, latency_ms: Math.round(performance.now() - started), error });
    };
    const onMessage = (event: MessageEvent) => {
      if (event.source !== source() || event.origin !== options.origin || !isLogoutMessage(event.data)) return;
      if (event.data.status === 'no_session') finish('cookies_blocked', COOKIES_BLOCKED_ERROR);
      else if (event.data.status === 'refused') finish('refused', 'the application answered that it did not sign out');
      else finish('confirmed');
    };
    window.addEventListener('message', onMessage);
    hooks.onLoad?.(() => {
      // give a confirmation message a moment to arrive before calling it merely loaded
      if (!done && !options.require_confirmation) timers.push(setTimeout(() => finish('loaded'), grace_ms));
    });
    timers.push(setTimeout(() => finish('timed_out', `no answer within ${options.timeout_ms / 1000} s`), options.timeout_ms));
    hooks.start();
  });
}

/**
 * Watches one framed logout URL and resolves once: `confirmed` when the application posts
 * LOGOUT_MESSAGE_TYPE from that frame and origin, `cookies_blocked` when it says it saw no
 * session, `loaded` when the frame loaded and no message came within the grace, `timed_out`
 * when nothing happened in time. Messages from other frames or origins are ignored.
 */
export function watchLogoutFrame(frame: HTMLIFrameElement, options: WatchOptions): Promise<FrameOutcome> {
  return watchMessages(() => frame.contentWindow, options, {
    onLoad: (loaded) => frame.addEventListener('load', loaded),
    start: () => { if (options.url) frame.src = options.url; },
  });
}

/**
 * Sends a window this page opened to a logout URL (a top-level navigation) and watches it like a
 * frame; only a message counts (a window's load events cannot be seen across origins).
 */
export function watchLogoutWindow(win: Window, options: WatchOptions & { url: string }): Promise<FrameOutcome> {
  return watchMessages(() => win, { ...options, require_confirmation: true }, { start: () => { win.location.href = options.url; } });
}
