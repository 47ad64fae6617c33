/** The contract's error codes and their HTTP statuses (CONTRACT.md, "Errors"). */
export const ERROR_STATUS = {
  UNSUPPORT_CONTENT_TYPE: 415,
  MISSING_ARGUMENTS: 400,
  INVALID_ARGUMENTS: 400,
  IMAGE_NOT_OPENED: 400,
  NO_FACE_ERROR: 400,
  LOW_QUALITY_ERROR: 400,
  NOT_SUPPORT_IN_GRAB_MODE: 409,
  ANOTHER_PICTURE_SEARCH_RUNNING_ERROR: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The one error type that crosses the API edge. Its message is shown to the client, so it must never
 * carry a stack, a bucket name, a file path or image bytes.
 *
 * @example throw new ContractError('INVALID_ARGUMENTS', 'threshold');
 */
export class ContractError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message = '',
  ) {
    super(message);
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
