/**
 * The one error type of the process group: what went wrong (naming the rank,
 * the collective and the time waited) and what to do about it.
 */
export class PgError extends Error {
  override name = 'PgError';
  constructor(
    message: string,
    /** What to do about it. */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
