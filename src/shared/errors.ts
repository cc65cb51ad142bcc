/**
 * Stable error codes. They cross every transport as `{code, message}` and are part of the CLI contract
 * (`imgmeta: <code>: <message>`), so only ever add to this list.
 */
export const errorCodes = [
  'not_found',
  'already_exists',
  'invalid_argument',
  'failed_precondition',
  'conflict',
  'cancelled',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

export class ImgmetaError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ImgmetaError';
    this.code = code;
  }

  toJSON(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && (errorCodes as readonly string[]).includes(value);

/** Anything thrown becomes an error body; unknown failures are `internal` so callers never see a raw stack. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof ImgmetaError) return err.toJSON();
  if (
    err &&
    typeof err === 'object' &&
    isErrorCode((err as ErrorBody).code) &&
    typeof (err as ErrorBody).message === 'string'
  ) {
    return { code: (err as ErrorBody).code, message: (err as ErrorBody).message };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

export const notFound = (message: string) => new ImgmetaError('not_found', message);
export const alreadyExists = (message: string) => new ImgmetaError('already_exists', message);
export const invalidArgument = (message: string) => new ImgmetaError('invalid_argument', message);
export const failedPrecondition = (message: string) => new ImgmetaError('failed_precondition', message);
export const conflict = (message: string) => new ImgmetaError('conflict', message);
export const cancelled = (message: string) => new ImgmetaError('cancelled', message);
