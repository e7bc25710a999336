import type { Logger } from './logger.js';

/** How long after a logged failure failures with the same code are only counted. */
export const failureLogWindowMs = 10_000;

export interface FailureLog {
  /**
   * Logs the first failure with a code at once, with its error, and then, for the rest of the window,
   * only counts; the count is logged as one summary line when the window closes.
   */
  failed(code: string, fields: Record<string, unknown>, message: string): void;
  /** Logs the pending summaries now (at shutdown, or when the failures have stopped). */
  flush(): void;
}

interface Window {
  readonly fields: Record<string, unknown>;
  readonly message: string;
  readonly since: number;
  suppressed: number;
  timer?: NodeJS.Timeout;
}

/**
 * Keeps an outage from flooding the logs: with Redis down every request fails the same way, and a
 * line with a stack per request (about 1.2 KB each) buries what changed. Metrics still count every
 * failure; the log says when a kind of failure starts and how many followed.
 */
export function createFailureLog(logger: Logger, windowMs = failureLogWindowMs): FailureLog {
  const windows = new Map<string, Window>();

  const open = (code: string, message: string): void => {
    const window: Window = { fields: { code }, message, since: Date.now(), suppressed: 0 };
    window.timer = setTimeout(() => close(code, true), windowMs).unref();
    windows.set(code, window);
  };

  // A window that counted failures is followed by another one, so a long outage writes one summary
  // per window and no new stack; a window without failures ends it, and the next failure is logged whole.
  const close = (code: string, reopen: boolean): void => {
    const window = windows.get(code);
    if (window === undefined) return;
    windows.delete(code);
    clearTimeout(window.timer);
    if (window.suppressed === 0) return;
    logger.error(
      { ...window.fields, count: window.suppressed, seconds: Math.round((Date.now() - window.since) / 1000) },
      `${window.message} (${window.suppressed} more times since the last line)`,
    );
    if (reopen) open(code, window.message);
  };

  return {
    failed(code, fields, message) {
      const window = windows.get(code);
      if (window !== undefined) {
        window.suppressed++;
        return;
      }
      logger.error(fields, message);
      open(code, message);
    },
    flush() {
      for (const code of [...windows.keys()]) close(code, false);
    },
  };
}
