import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { StorageUnavailableError } from '../core/errors';

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
 * Raised in place of the SDK's failures that mean unavailable (below), and where storage kept part of a
 * batch unprocessed (BatchGetItem / BatchWriteItem under throttling) through all our retries.
 */
export { StorageUnavailableError };

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

/**
 * The adapters' translation: an SDK failure that means storage is unavailable becomes a
 * StorageUnavailableError (the SDK's error its cause, its name in the message for the log); anything else
 * (a condition failure, a missing key) passes as it is, for the adapter to read.
 */
export function translateStorageError(err: unknown): unknown {
  if (err instanceof StorageUnavailableError || !isStorageUnavailable(err)) return err;
  const e = err as { name?: string; code?: string };
  return new StorageUnavailableError(`storage unavailable (${e.code ?? e.name ?? 'unknown'})`, {
    cause: err,
  });
}

/**
 * Translates every call's failure on `client` (after the SDK's own retries: the outermost step), so no
 * adapter built on it lets an SDK error out for the unavailable case.
 */
export function translateStorageErrors(
  client: DynamoDBClient | S3Client | { middlewareStack: unknown },
): void {
  (client as DynamoDBClient).middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        throw translateStorageError(err);
      }
    },
    { step: 'initialize', name: 'translateStorageErrors', priority: 'high' },
  );
}
