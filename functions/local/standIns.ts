import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';

/** Kept under its old name for the callers that set up stand-ins and their table together. */
export { ensureEventsTable as ensureTable } from '../store/eventsTable';

export interface StandIns {
  /** '' when DynamoDB was not asked for (another endpoint serves it). */
  dynamodbEndpoint: string;
  s3Endpoint: string;
  close(): Promise<void>;
}

/**
 * dynalite (DynamoDB) and s3rver (S3) in this process, on free loopback ports, persisted under dataDir
 * (dynamodb/ and s3/). They speak the real wire protocols, so the service reaches them through the
 * same SDK clients it uses in the cloud. `dynamodb: false` starts s3rver only.
 */
export async function startStandIns(
  dataDir: string,
  bucket: string,
  opts: { dynamodb?: boolean } = {},
): Promise<StandIns> {
  const dynamoDir = join(dataDir, 'dynamodb');
  const s3Dir = join(dataDir, 's3');
  mkdirSync(s3Dir, { recursive: true });

  let dynamo: Server | undefined;
  if (opts.dynamodb !== false) {
    mkdirSync(dynamoDir, { recursive: true });
    const server: Server = dynalite({ path: dynamoDir, createTableMs: 0, deleteTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    dynamo = server;
  }
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: s3Dir,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  // `silent` reaches only s3rver's console transport; close() removes the transports, and a request
  // still in flight then makes winston complain about having none. The logger itself stays quiet.
  (s3 as unknown as { logger: { silent: boolean } }).logger.silent = true;
  let s3Address: AddressInfo;
  try {
    s3Address = await s3.run();
  } catch (err) {
    await new Promise((r) => (dynamo ? dynamo.close(r) : r(undefined)));
    throw err;
  }
  return {
    dynamodbEndpoint: dynamo ? `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}` : '',
    s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
    close: async () => {
      // Keep-alive sockets of the SDK clients would hold close() open.
      s3.httpServer?.closeAllConnections();
      const closingS3 = s3.close();
      const closingDynamo = new Promise((r) => (dynamo ? dynamo.close(r) : r(undefined)));
      dynamo?.closeAllConnections();
      await Promise.all([closingS3, closingDynamo]);
    },
  };
}
