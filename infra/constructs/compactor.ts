import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { Settings } from '../settings';
import { ScheduledFunction } from './scheduledFunction';
import { FUNCTION_STORE_USES } from './storeAccess';

/**
 * The erasure bound (docs/store.md, "Segments"): a run starts every `interval` and removes stale
 * segments first; one run at a time (reserved concurrency 1), each ending within `timeout`, which is
 * shorter than the interval. A delete's face code therefore leaves every segment within
 * interval + timeout < 10 minutes.
 */
export const COMPACTION = {
  interval: Duration.minutes(5),
  timeout: Duration.minutes(4),
  /** Starts no new hour after this (functions/history/compactor.ts budgetMs): leaves a minute spare. */
  budgetSeconds: 180,
  settleMinutes: 5,
  // An hour of 50,000 records is about 28 MB packed, plus its items while read.
  memoryMb: 1024,
} as const;

export interface CompactorProps {
  readonly settings: Settings;
  readonly table: dynamodb.ITable;
  readonly images: s3.IBucket;
  /** The bucket's customer-managed key: segments are written under it (the bucket policy wants it). */
  readonly dataKey?: kms.IKey;
  /** Called with the role: the storage's key and resource policies trust it (infra/constructs/storage.ts). */
  readonly onRole?: (role: iam.IRole) => void;
}

/**
 * The history compactor: a Lambda on an EventBridge schedule. Its role is the store's `compact` rows
 * (infra/constructs/storeAccess.ts): hour versions and hour partitions read, segments listed, written
 * and removed; no image, no event JSON write.
 */
export class HistoryCompactor extends ScheduledFunction {
  constructor(scope: Construct, id: string, props: CompactorProps) {
    const { settings } = props;
    const environment: Record<string, string> = {
      RETENTION_DAYS: String(settings.retentionDays),
      BUCKET_SHARDS: '4',
      COMPACTION_SETTLE_MINUTES: String(COMPACTION.settleMinutes),
      COMPACTION_BUDGET_SECONDS: String(COMPACTION.budgetSeconds),
    };
    if (props.dataKey) environment.IMAGE_KMS_KEY_ID = props.dataKey.keyArn;
    super(scope, id, {
      settings,
      table: props.table,
      images: props.images,
      entry: 'functions/history/handler.ts',
      bundle: 'compactor',
      description: 'Builds history segments of settled hours, removes stale ones',
      uses: FUNCTION_STORE_USES.compactor,
      memoryMb: COMPACTION.memoryMb,
      timeout: COMPACTION.timeout,
      // One run at a time: two would race to write and remove the same hours.
      reservedConcurrency: 1,
      environment,
      // A failed run is not retried: the next tick, five minutes on, starts over from the current state.
      schedule: events.Schedule.rate(COMPACTION.interval),
      ruleDescription: 'Runs the history compactor',
      retryAttempts: 0,
      onRole: props.onRole,
    });
  }
}
