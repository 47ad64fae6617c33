import type { Config } from '../shared/config';
import type { AwsClients } from '../store/clients';
import { Compactor } from './compactor';
import { HourItems } from './hourItems';
import { SegmentStore } from './segmentStore';

/** The segment store of a configuration: the image bucket, under `segments/`. */
export function createSegmentStore(c: Config, clients: Pick<AwsClients, 's3'>): SegmentStore {
  return new SegmentStore(clients.s3, {
    bucket: c.IMAGE_BUCKET,
    retentionDays: c.RETENTION_DAYS,
    settleMs: c.COMPACTION_SETTLE_MINUTES * 60_000,
    encryption: c.IMAGE_KMS_KEY_ID ? { kind: 'aws:kms', keyId: c.IMAGE_KMS_KEY_ID } : { kind: 'AES256' },
  });
}

/** The compactor of a configuration (the Lambda and the local server's timer build the same one). */
export function createCompactor(c: Config, clients: AwsClients): Compactor {
  return new Compactor(
    new HourItems(clients.dynamo, { table: c.EVENTS_TABLE, shards: c.BUCKET_SHARDS }),
    createSegmentStore(c, clients),
    {
      settleMs: c.COMPACTION_SETTLE_MINUTES * 60_000,
      retentionDays: c.RETENTION_DAYS,
      budgetMs: c.COMPACTION_BUDGET_SECONDS * 1000,
    },
  );
}
