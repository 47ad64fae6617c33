/** Failures that mean "storage unreachable or overloaded after the SDK's retries": SERVICE_UNAVAILABLE. */
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalError',
  'SlowDown',
  'StorageUnavailableError',
]);
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Storage kept part of a batch unprocessed (BatchGetItem / BatchWriteItem under throttling) through all
 * our retries: the same outcome as a throttled single call.
 */
export class StorageUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

/**
 * A socket error created in another JavaScript realm (a vm sandbox such as jest's) fails the SDK's
 * `instanceof Error` and reaches us re-wrapped, its code left only in the message.
 */
const WRAPPED_SOCKET_ERROR = new RegExp(
  `^AWS SDK error wrapper for .*\\b(${[...UNAVAILABLE_CODES].join('|')})\\b`,
);

export function isStorageUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  return (
    UNAVAILABLE_NAMES.has(e.name ?? '') ||
    UNAVAILABLE_CODES.has(e.code ?? '') ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500 ||
    WRAPPED_SOCKET_ERROR.test(e.message ?? '')
  );
}

export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}
