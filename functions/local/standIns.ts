import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';

export interface StandIns {
  dynamodbEndpoint: string;
  s3Endpoint: string;
  close(): Promise<void>;
}

/**
 * dynalite (DynamoDB) and s3rver (S3) in this process, on free loopback ports, persisted under dataDir
 * (dynamodb/ and s3/). They speak the real wire protocols, so the service reaches them through the
 * same SDK clients it uses in the cloud.
 */
export async function startStandIns(dataDir: string, bucket: string): Promise<StandIns> {
  const dynamoDir = join(dataDir, 'dynamodb');
  const s3Dir = join(dataDir, 's3');
  mkdirSync(dynamoDir, { recursive: true });
  mkdirSync(s3Dir, { recursive: true });

  const dynamo: Server = dynalite({ path: dynamoDir, createTableMs: 0, deleteTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, '127.0.0.1', () => resolve());
  });
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: s3Dir,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  let s3Address: AddressInfo;
  try {
    s3Address = await s3.run();
  } catch (err) {
    await new Promise((r) => dynamo.close(r));
    throw err;
  }
  return {
    dynamodbEndpoint: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`,
    s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
    close: async () => {
      // Keep-alive sockets of the SDK clients would hold close() open.
      s3.httpServer?.closeAllConnections();
      const closingS3 = s3.close();
      const closingDynamo = new Promise((r) => dynamo.close(r));
      dynamo.closeAllConnections();
      await Promise.all([closingS3, closingDynamo]);
    },
  };
}

/** Creates the events table (pk/sk strings, on-demand) unless it exists. */
export async function ensureTable(db: DynamoDBClient, table: string): Promise<void> {
  try {
    await db.send(new DescribeTableCommand({ TableName: table }));
    return;
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
  await db.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    }),
  );
}
