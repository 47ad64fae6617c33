import { Int8DotKernel } from '../core/int8Dot';
import { createSegmentStore } from '../history/services';
import type { Config } from '../shared/config';
import { createHourCache } from '../history/hourCache';
import { HistoryStore } from '../history/historyStore';
import { type AwsClients, createAwsClients } from './clients';
import { DynamoEventStore } from './dynamoEventStore';
import { DynamoSearchSlots } from './dynamoSearchSlots';
import { S3ErasureLog } from './erasureLog';
import { type ImageEncryption, S3ImageStore } from './s3ImageStore';
import type { EventStore, ImageStore } from './types';
import type { SearchSlots } from '../core/lease';

/** Everything the handlers need from storage, built once per process from one configuration. */
export interface Services {
  config: Config;
  events: EventStore;
  /** What searches read: the history's blocks (functions/history/). */
  history: HistoryStore;
  images: ImageStore;
  slots: SearchSlots;
  /** Erased event ids, kept outside the table so a restore cannot resurrect them (erasureLog.ts). */
  erasures: S3ErasureLog;
  /** The SDK clients behind the adapters (fault-injection tests add middleware to them). */
  clients: AwsClients;
}

/**
 * The adapters over a process's SDK clients: `clients` when the process built them (its composition
 * root: composition/lambda.ts, the local server), else built here (scripts and tests).
 */
export function createServices(
  c: Config,
  opts: { localCredentials?: boolean; clients?: AwsClients } = {},
): Services {
  const { dynamo, s3 } = opts.clients ?? createAwsClients(c, opts);
  const encryption: ImageEncryption = c.IMAGE_KMS_KEY_ID
    ? { kind: 'aws:kms', keyId: c.IMAGE_KMS_KEY_ID }
    : { kind: 'AES256' };
  return {
    config: c,
    clients: { dynamo, s3 },
    events: new DynamoEventStore(dynamo, {
      table: c.EVENTS_TABLE,
      shards: c.BUCKET_SHARDS,
      retentionDays: c.RETENTION_DAYS,
    }),
    history: new HistoryStore(dynamo, {
      table: c.EVENTS_TABLE,
      shards: c.BUCKET_SHARDS,
      cache:
        c.EMBEDDING_CACHE_MB > 0
          ? createHourCache({
              budgetBytes: c.EMBEDDING_CACHE_MB * 2 ** 20,
              memory: Int8DotKernel.instance(),
            })
          : undefined,
      segments: createSegmentStore(c, { s3 }),
      retentionDays: c.RETENTION_DAYS,
    }),
    images: new S3ImageStore(s3, c.IMAGE_BUCKET, encryption),
    erasures: new S3ErasureLog(s3, c.IMAGE_BUCKET, encryption),
    slots: new DynamoSearchSlots(dynamo, {
      table: c.EVENTS_TABLE,
      slots: c.MAX_CONCURRENT_SEARCHES,
      leaseSeconds: c.LEASE_SECONDS,
    }),
  };
}
