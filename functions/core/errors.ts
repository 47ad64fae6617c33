import { FaceEngineError, type FaceErrorKind } from './face';

/** The contract's error codes and their HTTP statuses (CONTRACT.md, "Errors"). */
export const ERROR_STATUS = {
  UNSUPPORT_CONTENT_TYPE: 415,
  MISSING_ARGUMENTS: 400,
  INVALID_ARGUMENTS: 400,
  IMAGE_NOT_OPENED: 400,
  NO_FACE_ERROR: 400,
  LOW_QUALITY_ERROR: 400,
  NOT_FOUND: 404,
  NOT_SUPPORT_IN_GRAB_MODE: 409,
  /** Not in the contract: a signed-in console user whose groups do not include the route's (core/roles.ts). */
  FORBIDDEN: 403,
  ANOTHER_PICTURE_SEARCH_RUNNING_ERROR: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The message of an error raised without one: what happened and what to do, in words that hold for every
 * cause (so never a path, a bucket or a detail of the failure).
 */
export const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  UNSUPPORT_CONTENT_TYPE: 'Content-Type: must be application/json',
  MISSING_ARGUMENTS: 'body: a required field is missing',
  INVALID_ARGUMENTS: 'body: a field has a wrong type or value',
  IMAGE_NOT_OPENED: 'image: cannot be read or decoded as a JPEG, PNG or WebP photo',
  NO_FACE_ERROR: 'no face found in the image',
  LOW_QUALITY_ERROR: 'the face fails the fiqa_level gate',
  NOT_FOUND: 'id: nothing has this id',
  NOT_SUPPORT_IN_GRAB_MODE: 'search is off: this deployment is in grab (capture-only) mode',
  FORBIDDEN: 'the signed-in person is not in the group this route needs',
  ANOTHER_PICTURE_SEARCH_RUNNING_ERROR:
    'every search slot is taken by another search; retry when one has finished',
  INTERNAL_ERROR: 'an unexpected error occurred; retry, and report it if it persists',
  SERVICE_UNAVAILABLE: 'storage is unreachable; retry later',
};

/**
 * The one error type that crosses the API edge. Its message is shown to the client, so it must never
 * carry a stack, a bucket name, a file path or image bytes.
 *
 * Messages name the key first, then what is allowed (CONTRACT.md, "Errors"): use `invalidArgument`.
 *
 * @example throw new ContractError('INVALID_ARGUMENTS', 'threshold: must be a number from 0 to 100');
 */
export class ContractError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message = DEFAULT_MESSAGES[code],
  ) {
    super(message || DEFAULT_MESSAGES[code]);
    this.name = 'ContractError';
    this.status = ERROR_STATUS[code];
  }

  toBody(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isContractError(err: unknown): err is ContractError {
  return err instanceof ContractError;
}

/**
 * INVALID_ARGUMENTS for `key`, saying what is allowed.
 *
 * @example throw invalidArgument('threshold', 'must be a number from 0 to 100');
 */
export function invalidArgument(key: string, allowed: string): ContractError {
  return new ContractError('INVALID_ARGUMENTS', `${key}: ${allowed}`);
}

/**
 * Storage unreachable or overloaded after the SDK's retries. The storage adapters raise it in place of the
 * SDK's own failures (store/errors.ts), so the edge answers SERVICE_UNAVAILABLE knowing nothing of the SDK.
 */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

const FACE_ERROR_CODES: Record<FaceErrorKind, ErrorCode> = {
  unreadable: 'IMAGE_NOT_OPENED',
  noFace: 'NO_FACE_ERROR',
};

/**
 * Runs a face engine call, its FaceEngineError turned into the contract's error (IMAGE_NOT_OPENED,
 * NO_FACE_ERROR) with the engine's message; any other failure passes as it is.
 *
 * @example const face = await translateFaceErrors(engine.analyzeQuery(bytes, 'low'));
 */
export async function translateFaceErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof FaceEngineError) throw new ContractError(FACE_ERROR_CODES[err.kind], err.message);
    throw err;
  }
}
