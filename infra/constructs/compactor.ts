import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Settings } from '../settings';
import { REPO_ROOT } from './modelLayer';

/** Key prefix of the history segments in the image bucket (functions/history/segmentStore.ts). */
export const SEGMENT_PREFIX = 'segments/';

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

/** The history compactor: a Lambda on an EventBridge schedule, with least privilege. */
export class HistoryCompactor extends Construct {
  readonly fn: lambda.Function;

  constructor(scope: Construct, id: string, props: CompactorProps) {
    super(scope, id);
    const { settings, table, images } = props;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'History compactor: least privilege',
    });
    logGroup.grantWrite(role);
    props.onRole?.(role);
    const environment: Record<string, string> = {
      EVENTS_TABLE: table.tableName,
      IMAGE_BUCKET: images.bucketName,
      RETENTION_DAYS: String(settings.retentionDays),
      BUCKET_SHARDS: '4',
      COMPACTION_SETTLE_MINUTES: String(COMPACTION.settleMinutes),
      COMPACTION_BUDGET_SECONDS: String(COMPACTION.budgetSeconds),
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (props.dataKey) environment.IMAGE_KMS_KEY_ID = props.dataKey.keyArn;
    if (settings.profile === 'local') {
      environment.S3_ENDPOINT = 'http://s3.localhost.localstack.cloud:4566';
      environment.DYNAMODB_ENDPOINT = 'http://localhost.localstack.cloud:4566';
    }
    const common = {
      description: 'Builds history segments of settled hours, removes stale ones',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: settings.arch === 'x64' ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64,
      memorySize: COMPACTION.memoryMb,
      timeout: COMPACTION.timeout,
      // One run at a time: two would race to write and remove the same hours.
      reservedConcurrentExecutions: 1,
      environment,
      logGroup,
      role,
    };
    this.fn =
      settings.bundling !== 'esbuild'
        ? new lambda.Function(this, 'Function', {
            ...common,
            handler: 'index.handler',
            code: lambda.Code.fromAsset(join(settings.bundling, 'compactor')),
          })
        : new NodejsFunction(this, 'Function', {
            ...common,
            entry: join(REPO_ROOT, 'functions/history/handler.ts'),
            handler: 'handler',
            projectRoot: REPO_ROOT,
            depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
            bundling: {
              format: OutputFormat.CJS,
              target: 'node22',
              minify: true,
              sourceMap: true,
              sourcesContent: false,
              // No face models here: the compactor only moves stored codes.
              externalModules: ['onnxruntime-node', 'sharp', 'dynalite', 's3rver'],
            },
          });

    // Exactly what functions/history calls: hour versions (HV#) and hour partitions (EV#), read only;
    // segment objects listed, written and removed under segments/ only. No image, no event JSON write.
    const onKeys = (actions: string[], patterns: string[]) =>
      new iam.PolicyStatement({
        actions,
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns } },
      });
    role.addToPolicy(onKeys(['dynamodb:BatchGetItem'], ['HV#*']));
    role.addToPolicy(onKeys(['dynamodb:Query'], ['EV#*']));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [images.arnForObjects(`${SEGMENT_PREFIX}*`)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [images.bucketArn],
        conditions: { StringEquals: { 's3:prefix': SEGMENT_PREFIX } },
      }),
    );

    // A failed run is not retried: the next tick, five minutes on, starts over from the current state.
    new events.Rule(this, 'Schedule', {
      description: 'Runs the history compactor',
      schedule: events.Schedule.rate(COMPACTION.interval),
      targets: [new targets.LambdaFunction(this.fn, { retryAttempts: 0 })],
    });
  }
}
