/**
 * The catalogue of errors the API answers with. Each has a stable code that clients and
 * dashboards can key on; client errors (4xx) carry a message meant for the caller, and
 * server errors (5xx) carry one that says what is wrong without internal detail.
 */
export const errorCodes = {
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_IMPLEMENTED: 501,
  PAYLOAD_TOO_LARGE: 413,
  BAD_REQUEST: 400,
  COUNTER_NOT_INTEGER: 409,
  COUNTER_OVERFLOW: 409,
  REDIS_UNAVAILABLE: 503,
  REDIS_CONNECTION_LOST: 503,
  REDIS_TIMEOUT: 503,
  REDIS_NOT_REPLICATED: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;
  /** Whether `message` is safe to send to the client. */
  readonly expose: boolean;
  /** Headers the answer must carry, e.g. Allow on a 405. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Readonly<Record<string, string>> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = errorCodes[code];
    // 503 and 409 messages are written for the caller (they say what to do or what is wrong
    // with the data); only an unexpected 500 hides its message.
    this.expose = code !== 'INTERNAL';
    this.headers = options?.headers ?? {};
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
