import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
// The bucket and table layout is the store's (keys.ts): grants and filters name the same prefixes and keys.
import {
  EVENT_PK_PREFIX,
  IMAGE_PREFIX,
  LEASE_PK,
  POINTER_PK_PREFIX,
  UPLOAD_PREFIX,
} from '../../functions/store/keys';
import type { Settings } from '../settings';
import { REPO_ROOT, layerAssetDir } from './modelLayer';
import { ERASURE_PREFIX } from '../../functions/store/erasureLog';

// Still importable from here for the constructs that did (reconcileSchedule.ts); keys.ts defines it.
export { IMAGE_PREFIX };

/** Partition keys of event records and of event pointers. */
const EVENT_KEYS = [`${EVENT_PK_PREFIX}*`, `${POINTER_PK_PREFIX}*`];

/**
 * Sizing, from measurements on this code (docs/deploy.md, "Memory and timeout"). Lambda gives CPU in
 * proportion to memory (one full vCPU at 1,769 MB); face inference is CPU-bound.
 */
export const SIZING = {
  // Below API Gateway's 29 s: the function's own 503 reaches the client instead of the gateway's 504.
  search: { memoryMb: 2048, timeout: Duration.seconds(27) },
  // The query analysis of a search, no scan: the same CPU share, far less time (warm p95 well under 1 s).
  detect: { memoryMb: 2048, timeout: Duration.seconds(15) },
  ingestApi: { memoryMb: 2048, timeout: Duration.seconds(27) },
  ingestS3: { memoryMb: 2048, timeout: Duration.seconds(120) },
  images: { memoryMb: 512, timeout: Duration.seconds(10) },
} as const;

/**
 * Largest query image accepted in the cloud. A synchronous Lambda invocation carries at most 6 MB,
 * and base64 inflates by 4/3, so 4 MiB of image is the most that reliably fits in a JSON body.
 * Larger photos go through face_image_path (an S3 key) instead.
 */
export const CLOUD_MAX_IMAGE_BYTES = 4 * 1024 * 1024;

export interface FaceFunctionsProps {
  readonly settings: Settings;
  readonly table: dynamodb.ITable;
  readonly images: s3.IBucket;
  /** The model + native module layer; absent on LocalStack, where both are bundled into each function. */
  readonly layer?: lambda.ILayerVersion;
  /** The search console's origin: the functions it calls let it read their answers (CORS). */
  readonly consoleOrigin?: string;
  /** The customer-managed key of the bucket: written objects name it (the bucket policy wants it). */
  readonly dataKey?: kms.IKey;
  /** Called with each function's role: the storage's key and resource policies trust it. */
  readonly onRole?: (role: iam.IRole) => void;
}

type FunctionName = 'search' | 'detect' | 'ingest' | 'ingestS3' | 'images';

const ENTRIES: Record<FunctionName, string> = {
  search: 'functions/search/handler.ts',
  detect: 'functions/detect/handler.ts',
  ingest: 'functions/ingest/handler.ts',
  ingestS3: 'functions/ingest/s3Handler.ts',
  images: 'functions/images/handler.ts',
};

/** The five Lambda functions, their log groups and their (least-privilege) permissions. */
export class FaceFunctions extends Construct {
  readonly search: lambda.Function;
  readonly detect: lambda.Function;
  readonly ingest: lambda.Function;
  readonly ingestS3: lambda.Function;
  readonly images: lambda.Function;
  readonly ingestFailures: sqs.Queue;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: FaceFunctionsProps,
  ) {
    super(scope, id);
    const { table, images } = props;

    this.search = this.fn('search', 'Search', SIZING.search, 'Face search by image');
    this.detect = this.fn('detect', 'Detect', SIZING.detect, 'Face box and quality of a query photo');
    this.ingest = this.fn('ingest', 'Ingest', SIZING.ingestApi, 'Recognition event ingest (API)');
    this.ingestS3 = this.fn('ingestS3', 'IngestS3', SIZING.ingestS3, 'Recognition event ingest (S3 upload)');
    this.images = this.fn('images', 'Images', SIZING.images, 'Stored image read and event delete');

    // Each grant is exactly what functions/store calls for that function (see docs/deploy.md).
    // search: queries hour buckets, reads the query photo; writes only its lease items.
    this.allowOnKeys(this.search, ['dynamodb:Query'], table.tableArn, [`${EVENT_PK_PREFIX}*`]);
    this.search.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [LEASE_PK] } },
      }),
    );
    // Cached hour buckets are validated by their write versions (HV#...) and a match's event JSON is
    // fetched by key (EV#...): batch reads bound to those partitions (docs/speed.md).
    this.allowOnKeys(this.search, ['dynamodb:BatchGetItem'], table.tableArn, [`${EVENT_PK_PREFIX}*`]);
    // face_image_path may name any key of the image bucket or an allow-listed bucket.
    const readable = [images.arnForObjects('*'), ...this.allowedBucketObjects()];
    this.allow(this.search, ['s3:GetObject'], readable);
    // detect: the query analysis only. No table at all (no history, no search slot); it reads a photo only
    // when face_image_path names one, from the same places search may read.
    this.allow(this.detect, ['s3:GetObject'], readable);

    // ingest (both doors): idempotent event + pointer writes (a losing duplicate removes its copy),
    // stored images under images/ with their retention tag (and their removal when the ingest fails),
    // the source photo from the upload prefix only, and (S3 door) the processed upload's removal.
    for (const f of [this.ingest, this.ingestS3]) {
      this.allowOnKeys(
        f,
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        table.tableArn,
        EVENT_KEYS,
      );
      this.allowOnKeys(f, ['dynamodb:UpdateItem'], table.tableArn, ['HV#*']); // the hour's write version
      // Delete: a failed ingest removes the images it stored (functions/ingest/undoIngest.ts).
      this.allow(
        f,
        ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'],
        [images.arnForObjects(`${IMAGE_PREFIX}*`)],
      );
      // face_image_path of an ingest names an upload (functions/ingest/ingestEvents.ts), never any key.
      this.allow(f, ['s3:GetObject'], [images.arnForObjects(`${UPLOAD_PREFIX}*`)]);
    }
    this.allow(this.ingestS3, ['s3:DeleteObject'], [images.arnForObjects(`${UPLOAD_PREFIX}*`)]);

    // images: serves stored images; deletes an event (pointer + event item) with its images, after
    // recording its id in the erasure list (erasures/, functions/store/erasureLog.ts).
    this.allowOnKeys(this.images, ['dynamodb:GetItem', 'dynamodb:DeleteItem'], table.tableArn, EVENT_KEYS);
    this.allow(this.images, ['s3:PutObject'], [images.arnForObjects(`${ERASURE_PREFIX}*`)]);
    this.allowOnKeys(this.images, ['dynamodb:UpdateItem'], table.tableArn, ['HV#*']); // a delete bumps it
    this.allow(this.images, ['s3:GetObject', 's3:DeleteObject'], [images.arnForObjects(`${IMAGE_PREFIX}*`)]);

    // Uploads under incoming/ drive ingest; what fails after retries lands in a queue, not in the void.
    this.ingestFailures = new sqs.Queue(this, 'IngestFailures', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    new lambda.EventInvokeConfig(this, 'IngestS3Async', {
      function: this.ingestS3,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.ingestFailures),
    });
    images.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.ingestS3), {
      prefix: UPLOAD_PREFIX,
    });
  }

  private allow(f: lambda.Function, actions: string[], resources: string[]): void {
    f.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
  }

  /** DynamoDB actions on items whose partition key matches one of `patterns` only. */
  private allowOnKeys(f: lambda.Function, actions: string[], tableArn: string, patterns: string[]): void {
    f.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: [tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns } },
      }),
    );
  }

  private allowedBucketObjects(): string[] {
    const names = this.props.settings.allowedBuckets
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return names.map((b) => `arn:${Stack.of(this).partition}:s3:::${b}/*`);
  }

  private environment(name: FunctionName): Record<string, string> {
    const { settings, table, images, layer, consoleOrigin } = this.props;
    const local = settings.profile === 'local';
    const env: Record<string, string> = {
      EVENTS_TABLE: table.tableName,
      IMAGE_BUCKET: images.bucketName,
      ALLOWED_BUCKETS: settings.allowedBuckets,
      GRAB_MODE: String(settings.grabMode),
      MAX_CONCURRENT_SEARCHES: String(settings.maxConcurrentSearches),
      LEASE_SECONDS: '30',
      RETENTION_DAYS: String(settings.retentionDays),
      BUCKET_SHARDS: '4',
      ORT_THREADS: '1',
      // Layer content is mounted at /opt; without a layer the models travel in the function asset.
      MODEL_DIR: layer ? '/opt/models' : '/var/task/models',
      MAX_IMAGE_BYTES: String(CLOUD_MAX_IMAGE_BYTES),
      // Leaves room beside the ONNX sessions (about 300 MB resident) in a 2 GB function.
      EMBEDDING_CACHE_MB: '768',
      UPLOAD_PREFIX,
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (this.props.dataKey) env.IMAGE_KMS_KEY_ID = this.props.dataKey.keyArn;
    // The routes the console calls answer its origin with CORS headers (functions/http/cors.ts).
    if (consoleOrigin && (name === 'search' || name === 'detect' || name === 'images')) {
      env.CORS_ORIGINS = consoleOrigin;
    }
    if (local) {
      // Inside LocalStack's Lambda containers this name resolves to LocalStack itself; the store
      // switches to path-style S3 whenever an endpoint is set.
      env.S3_ENDPOINT = 'http://s3.localhost.localstack.cloud:4566';
      env.DYNAMODB_ENDPOINT = 'http://localhost.localstack.cloud:4566';
    }
    return env;
  }

  private fn(
    name: FunctionName,
    id: string,
    sizing: { memoryMb: number; timeout: Duration },
    description: string,
  ): lambda.Function {
    const { settings, layer } = this.props;
    const architecture = settings.arch === 'x64' ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64;
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role, writing only its own log group (instead of the managed basic-execution policy,
    // which may write to any log group in the account).
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${description}: least privilege`,
    });
    logGroup.grantWrite(role);
    this.props.onRole?.(role);
    const common = {
      description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture,
      memorySize: sizing.memoryMb,
      timeout: sizing.timeout,
      // A flood of one route cannot take the account's whole concurrency (nor one function all of ours).
      reservedConcurrentExecutions: settings.reservedConcurrency,
      environment: this.environment(name),
      layers: layer ? [layer] : [],
      logGroup,
      role,
    };
    if (settings.bundling !== 'esbuild') {
      // Tests of the template: prebuilt bundles, so a synth costs no esbuild run.
      return new lambda.Function(this, id, {
        ...common,
        handler: 'index.handler',
        code: lambda.Code.fromAsset(join(settings.bundling, name)),
      });
    }
    const bundleNative = !layer;
    return new NodejsFunction(this, id, {
      ...common,
      entry: join(REPO_ROOT, ENTRIES[name]),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // esbuild's per-bundle size warnings (a 1.2 MB bundle is expected: the AWS SDK is in it) would
        // fill `npm run synth`'s output; errors still show.
        logLevel: LogLevel.ERROR,
        // Native code comes from the layer (or is copied in below); the local stand-ins never ship.
        externalModules: ['onnxruntime-node', 'sharp', 'dynalite', 's3rver'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) =>
            bundleNative
              ? [
                  `cp -R "${layerAssetDir(settings.arch)}/nodejs/node_modules" "${outputDir}/node_modules"`,
                  `cp -R "${layerAssetDir(settings.arch)}/models" "${outputDir}/models"`,
                ]
              : [],
        },
      },
    });
  }
}
