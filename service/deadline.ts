/** Thrown by withDeadline when no answer came in time. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * Settles like `promise`, or rejects with DeadlineError once `ms` have passed without an answer.
 *
 * Why not ioredis's commandTimeout: its timer can fire while the reply already waits in the
 * socket. After the event loop was busy for longer than the timeout (1000 requests arriving at
 * once, a GC pause, a CPU-throttled pod), Node runs expired timers before it reads sockets, so the
 * command is reported as timed out although Redis answered — and an INCR that was applied is
 * answered 503. Here the timer only schedules the rejection for the check phase of the same loop
 * iteration, after pending socket reads have resolved whatever Redis did answer.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new DeadlineError(ms));
      });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
