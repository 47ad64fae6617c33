import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../shared/config';
import { addCrashHook } from './crashHook';
import { translateStorageErrors } from './errors';
import { createRetryStrategy } from './retryPolicy';

// Locally we stay on the machine's Node 20 by choice (Lambda runs 22; `npm run test:node22` tests it):
// the SDK's notice that it will need Node 22 from 2027 would otherwise open every tool's output.
if (Number(process.versions.node.split('.')[0]) < 22)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface AwsClients {
  dynamo: DynamoDBClient;
  s3: S3Client;
}

/** Credentials the embedded stand-ins accept; real endpoints use the SDK's default chain. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * Binary attributes (the stored embeddings) arrive base64-encoded in DynamoDB's JSON. The SDK's decoder
 * first matches each string against a regular expression, about 6% of a cold 50,000-record read's CPU
 * (docs/speed.md); the table's own answers need no such check.
 */
function decodeBase64(input: string): Uint8Array {
  const b = Buffer.from(input, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * SDK clients for a configuration: the cloud's defaults, or the configured endpoints (LocalStack, or the
 * local server's dynalite and s3rver) with path-style S3 addressing.
 *
 * Every call is bounded: STORAGE_MAX_ATTEMPTS attempts with backoff and jitter (retryPolicy.ts), each
 * abandoned after STORAGE_CONNECT_TIMEOUT_MS without a connection, STORAGE_REQUEST_TIMEOUT_MS without
 * an answer, or as long without a byte of the answer's body. The SDK's defaults have no timeout at all, so a hung endpoint would hold a request until
 * API Gateway gives up.
 */
export function createAwsClients(c: Config, opts: { localCredentials?: boolean } = {}): AwsClients {
  const credentials = opts.localCredentials ? LOCAL_CREDENTIALS : undefined;
  const common = () => ({
    region: c.AWS_REGION,
    credentials,
    maxAttempts: c.STORAGE_MAX_ATTEMPTS,
    // One strategy per client: its retry-token bucket reflects that service's health only.
    retryStrategy: createRetryStrategy({ maxAttempts: c.STORAGE_MAX_ATTEMPTS }),
    requestHandler: {
      connectionTimeout: c.STORAGE_CONNECT_TIMEOUT_MS,
      requestTimeout: c.STORAGE_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      // requestTimeout stops at the response headers; this idle timeout also covers a stalled body.
      socketTimeout: c.STORAGE_REQUEST_TIMEOUT_MS,
    },
  });
  const clients = {
    dynamo: new DynamoDBClient({ ...common(), endpoint: c.DYNAMODB_ENDPOINT, base64Decoder: decodeBase64 }),
    s3: new S3Client({
      ...common(),
      endpoint: c.S3_ENDPOINT,
      forcePathStyle: Boolean(c.S3_ENDPOINT),
    }),
  };
  // The adapters built on these clients raise StorageUnavailableError, never the SDK's own failure.
  translateStorageErrors(clients.dynamo);
  translateStorageErrors(clients.s3);
  if (c.CRASH_AFTER_WRITES) {
    addCrashHook(clients.dynamo, c.CRASH_AFTER_WRITES);
    addCrashHook(clients.s3, c.CRASH_AFTER_WRITES);
  }
  return clients;
}
