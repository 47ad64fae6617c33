import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../shared/config';

export interface AwsClients {
  dynamo: DynamoDBClient;
  s3: S3Client;
}

/** Credentials the embedded stand-ins accept; real endpoints use the SDK's default chain. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * SDK clients for a configuration: the cloud's defaults, or the configured endpoints (LocalStack, or the
 * local server's dynalite and s3rver) with path-style S3 addressing.
 */
export function createAwsClients(c: Config, opts: { localCredentials?: boolean } = {}): AwsClients {
  const credentials = opts.localCredentials ? LOCAL_CREDENTIALS : undefined;
  return {
    dynamo: new DynamoDBClient({
      region: c.AWS_REGION,
      endpoint: c.DYNAMODB_ENDPOINT,
      credentials,
      maxAttempts: 4,
    }),
    s3: new S3Client({
      region: c.AWS_REGION,
      endpoint: c.S3_ENDPOINT,
      forcePathStyle: Boolean(c.S3_ENDPOINT),
      credentials,
      maxAttempts: 4,
    }),
  };
}
