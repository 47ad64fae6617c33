import { StorageUnavailableError, isStorageUnavailable } from '../../../functions/store/errors';

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
