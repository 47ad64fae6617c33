import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
// The bucket and table layout is the store's (keys.ts): grants and filters name the same prefixes and keys.
import { IMAGE_PREFIX, UPLOAD_PREFIX } from '../../functions/store/keys';
import type { Settings } from '../settings';
import { functionIdentity, nodeFunction, storeEndpoints } from './lambdaFunction';
import { layerAssetDir } from './modelLayer';
import { FUNCTION_STORE_USES, grantStore } from './storeAccess';

export { IMAGE_PREFIX, UPLOAD_PREFIX };

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
  // The jobs' routes: a POST analyses the query as a search does, then plans and starts the job.
  jobs: { memoryMb: 2048, timeout: Duration.seconds(27) },
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

type FunctionName = 'search' | 'detect' | 'ingest' | 'ingestS3' | 'images' | 'jobs';

const ENTRIES: Record<FunctionName, string> = {
  search: 'functions/search/handler.ts',
  detect: 'functions/detect/handler.ts',
  ingest: 'functions/ingest/handler.ts',
  ingestS3: 'functions/ingest/s3Handler.ts',
  images: 'functions/images/handler.ts',
  jobs: 'functions/jobs/lambdaHandler.ts',
};

/** The API's Lambda functions, their log groups and their (least-privilege) permissions. */
export class FaceFunctions extends Construct {
  readonly search: lambda.Function;
  readonly detect: lambda.Function;
  readonly ingest: lambda.Function;
  readonly ingestS3: lambda.Function;
  readonly images: lambda.Function;
  /** The search jobs' routes (its state machine: infra/constructs/searchJobs.ts). */
  readonly jobs: lambda.Function;
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
    this.jobs = this.fn('jobs', 'Jobs', SIZING.jobs, 'Search jobs: start, read and cancel');

    // Each role is the store rows of the uses its function serves (infra/constructs/storeAccess.ts).
    const store = { table, images };
    for (const name of Object.keys(ENTRIES) as FunctionName[])
      grantStore(this[name].role!, store, FUNCTION_STORE_USES[name]);
    // face_image_path of a query may also name an object of an allow-listed bucket.
    const allowed = this.allowedBucketObjects();
    if (allowed.length > 0)
      for (const f of [this.search, this.detect, this.jobs])
        f.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: allowed }));

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

  private allowedBucketObjects(): string[] {
    const names = this.props.settings.allowedBuckets
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return names.map((b) => `arn:${Stack.of(this).partition}:s3:::${b}/*`);
  }

  private environment(name: FunctionName): Record<string, string> {
    const { settings, table, images, layer, consoleOrigin } = this.props;
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
      ...storeEndpoints(settings),
    };
    if (this.props.dataKey) env.IMAGE_KMS_KEY_ID = this.props.dataKey.keyArn;
    // The routes the console calls answer its origin with CORS headers (functions/http/cors.ts).
    if (consoleOrigin && (name === 'search' || name === 'detect' || name === 'images' || name === 'jobs')) {
      env.CORS_ORIGINS = consoleOrigin;
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
    const { logGroup, role } = functionIdentity(this, id, description);
    this.props.onRole?.(role);
    const bundleNative = !layer;
    return nodeFunction(
      this,
      id,
      settings,
      {
        entry: ENTRIES[name],
        bundle: name,
        bundling: {
          // Native code comes from the layer, or, without one (LocalStack), is copied in here.
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
      },
      {
        description,
        memorySize: sizing.memoryMb,
        timeout: sizing.timeout,
        // A flood of one route cannot take the account's whole concurrency (nor one function all of ours).
        reservedConcurrentExecutions: settings.reservedConcurrency,
        environment: this.environment(name),
        layers: layer ? [layer] : [],
        logGroup,
        role,
      },
    );
  }
}
