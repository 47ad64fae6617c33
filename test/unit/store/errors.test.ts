import {
  StorageUnavailableError,
  isStorageUnavailable,
  translateStorageError,
} from '../../../functions/store/errors';

describe('isStorageUnavailable', () => {
  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    ],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['throttling', Object.assign(new Error('slow down'), { name: 'ThrottlingException' })],
    [
      'provisioned throughput',
      Object.assign(new Error('x'), { name: 'ProvisionedThroughputExceededException' }),
    ],
    ['S3 SlowDown', Object.assign(new Error('x'), { name: 'SlowDown' })],
    ['any 5xx', Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } })],
    ['a batch left unprocessed', new StorageUnavailableError('BatchGetItem left keys unprocessed')],
    [
      'a socket error from another realm, re-wrapped by the SDK',
      new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:40747'),
    ],
  ])('%s is SERVICE_UNAVAILABLE', (_, err) => {
    expect(isStorageUnavailable(err)).toBe(true);
  });

  it.each([
    ['a conditional check', Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' })],
    [
      'a validation error',
      Object.assign(new Error('x'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }),
    ],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'S')")],
    ['another wrapped value', new Error('AWS SDK error wrapper for [object Object]')],
    ['not an error', 'ECONNREFUSED'],
  ])('%s is not', (_, err) => {
    expect(isStorageUnavailable(err)).toBe(false);
  });
});

describe('translateStorageError', () => {
  it('turns an SDK failure that means unavailable into StorageUnavailableError, the SDK error its cause', () => {
    const sdk = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const out = translateStorageError(sdk);
    expect(out).toBeInstanceOf(StorageUnavailableError);
    expect(out).toMatchObject({ message: 'storage unavailable (ThrottlingException)', cause: sdk });
  });

  it('passes a condition failure, a missing key and an already translated error as they are', () => {
    const conditional = Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' });
    const missing = Object.assign(new Error('x'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    const translated = new StorageUnavailableError('batch left unprocessed');
    for (const err of [conditional, missing, translated]) expect(translateStorageError(err)).toBe(err);
  });
});
