import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { ImagePathPolicy } from '../core/imagePath';
import { UPLOAD_PREFIX } from '../store/keys';

/**
 * All configuration, parsed and validated once from the environment. Nothing else reads process.env.
 * Defaults suit the local embedded profile; the CDK stack sets the cloud values.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const REPO_ROOT = resolve(__dirname, '../..');

function defaultModelDir(): string {
  return existsSync('/opt/models/fr_detect.onnx') ? '/opt/models' : join(REPO_ROOT, 'build/layer/opt/models');
}

const schema = z.object({
  MODEL_DIR: z.string().default(defaultModelDir()),
  /** ONNX Runtime intra-op threads per session; 1 suits Lambda's small vCPU share and keeps latency flat. */
  ORT_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * Which models run on worker threads (face/modelWorkers.ts): `attributes` (the pose, beside the
   * embedding, and the ingest attributes), `all` (every model, off the event loop), or `none` (every run
   * on the calling thread, blocking it). Measured in docs/speed.md.
   */
  ORT_WORKERS: z.enum(['none', 'attributes', 'all']).default('attributes'),
  /** Expression is a 28 MB model; events get it only when this is on. */
  FACE_EXPRESSION: bool.default(true),

  AWS_REGION: z.string().default('us-east-1'),
  DYNAMODB_ENDPOINT: z.string().optional(),
  S3_ENDPOINT: z.string().optional(),
  EVENTS_TABLE: z.string().default('sophon-face-events'),
  IMAGE_BUCKET: z.string().default('sophon-face-images'),
  /** Extra buckets that face_image_path may name as s3://bucket/key. */
  ALLOWED_BUCKETS: list.default([]),
  /** Local profile only: face_image_path may also name a file under this folder. */
  IMAGE_ROOT: z.string().optional(),

  // One line of schema per setting: alike in shape by design (`duplicates` pairs the numeric ones).
  GRAB_MODE: bool.default(false),
  MAX_CONCURRENT_SEARCHES: z.coerce.number().int().min(1).max(1000).default(4),
  LEASE_SECONDS: z.coerce.number().int().min(1).max(900).default(30),
  /**
   * A search call's time budget: it stops at a millisecond boundary before this and answers what it found
   * with have_more (well inside API Gateway's 29 s; a Lambda's own remaining time also bounds it).
   */
  SEARCH_BUDGET_MS: z.coerce.number().int().min(100).max(900_000).default(10_000),
  /** Largest search response body: results stop at a millisecond boundary before it (Lambda's limit is 6 MB). */
  MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(6_000_000)
    .default(5_000_000),
  RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(90),
  /** An ingested event time (or out_timestamp) may be at most this far ahead of the clock: clock skew. */
  MAX_FUTURE_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
  /** The customer-managed KMS key stored images are encrypted with (the cloud); unset: SSE-S3 (AES256). */
  IMAGE_KMS_KEY_ID: z.string().optional(),
  /** Attempts per storage call (first try included) before SERVICE_UNAVAILABLE; retries back off with jitter. */
  STORAGE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
  /** A storage endpoint that does not accept a connection within this is treated as down (and retried). */
  STORAGE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** A storage call that has not completed within this is abandoned (and retried): a hung server cannot hold a request. */
  STORAGE_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  /** Write shards per hour bucket; searches merge them in exact time order. */
  BUCKET_SHARDS: z.coerce.number().int().min(1).max(64).default(4),

  /** Largest accepted image, in bytes after base64 decoding. */
  MAX_IMAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024),
  /** Largest accepted decoded image, in pixels: rejects decompression bombs before they are decoded. */
  MAX_IMAGE_PIXELS: z.coerce.number().int().min(10_000).default(40_000_000),
  /** Byte budget of the in-memory cache of closed hour buckets' embeddings. */
  EMBEDDING_CACHE_MB: z.coerce.number().int().min(0).default(512),

  /**
   * History segments (docs/store.md, "Segments"): the local server compacts settled hours every this
   * many seconds (0: never; the cloud's compactor runs on an EventBridge schedule instead).
   */
  COMPACTION_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** An hour is compacted once it ended this many minutes ago. */
  COMPACTION_SETTLE_MINUTES: z.coerce.number().int().min(0).max(1440).default(5),
  /** A compaction run starts no new hour after this many seconds (stale segments are removed first regardless). */
  COMPACTION_BUDGET_SECONDS: z.coerce.number().int().min(1).max(900).default(180),

  /**
   * Search jobs (docs/api.md, "Search jobs"): a whole window scanned in pieces by a worker pool beside the
   * contract's calls. JOB_WORKERS worker threads per process (locally; in AWS the Step Functions map's
   * concurrency); jobs running at once past MAX_CONCURRENT_JOBS are refused (429).
   */
  JOB_WORKERS: z.coerce.number().int().min(1).max(64).default(2),
  MAX_CONCURRENT_JOBS: z.coerce.number().int().min(1).max(100).default(2),
  /** A job's `max_results` when absent, and its cap. */
  JOB_DEFAULT_MAX_RESULTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  JOB_MAX_RESULTS: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  /** Records (by the hour directory's counts) per piece of a job: one worker task. */
  JOB_PIECE_RECORDS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  /** Attempts per piece (a worker that dies or fails) before the job fails. */
  JOB_PIECE_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** A job and its results are readable this long after it was created, then gone (TTL). */
  JOB_TTL_HOURS: z.coerce.number().min(0.001).max(720).default(24),
  /** The local server removes expired jobs and their results every this many seconds (dynalite has no TTL; 0: only at start). */
  JOB_SWEEP_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  /**
   * Each job worker's own hour cache. Small: a job reads each hour once, so copying hours into the
   * kernel's memory costs more than it saves (1M-record job: 9.9 s at 1 MB against 12.2 s at 64 MB).
   */
  JOB_WORKER_CACHE_MB: z.coerce.number().int().min(1).max(4096).default(1),
  /** AWS: the jobs' state machine (infra/constructs/searchJobs.ts); set, jobs run there, not on worker threads. */
  /**
   * AWS: how long a job's admission lease (functions/jobs/jobSlots.ts) holds its slot if nothing releases
   * it: the state machine's timeout and a minute (the stack sets it from that timeout).
   */
  JOB_SLOT_LEASE_SECONDS: z.coerce.number().int().min(60).max(86_400).default(7260),
  JOB_STATE_MACHINE_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/, 'a state machine ARN')
    .optional(),

  /** S3-triggered ingest: photos dropped under this prefix of IMAGE_BUCKET become events. */
  UPLOAD_PREFIX: z.string().default(UPLOAD_PREFIX),
  /** The search console's static files, served by the local server at `/`. */
  WEB_DIR: z.string().default(join(REPO_ROOT, 'web/public')),
  /** Browser origins allowed to read API answers (the console's CloudFront origin); none: no CORS header. */
  CORS_ORIGINS: list.default([]),
  /**
   * Local server only: when set, every API route wants this value in `x-api-key`, as the stack's API-key
   * option does (the console then asks for it). Unset: no check, as on the appliance's loopback.
   */
  LOCAL_API_KEY: z
    .union([z.literal(''), z.string().min(8, 'at least 8 characters')])
    .optional()
    .transform((v) => v || undefined),

  /**
   * Local server only: slow and idle clients (docs/security.md, "Slow and idle clients"). A request's
   * headers must arrive within LOCAL_HEADERS_TIMEOUT_MS and the whole request (body included) within
   * LOCAL_REQUEST_TIMEOUT_MS, else 408 and the connection is closed; an idle keep-alive connection is
   * closed after LOCAL_KEEP_ALIVE_TIMEOUT_MS; connections past LOCAL_MAX_CONNECTIONS are refused (closed).
   */
  LOCAL_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  LOCAL_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  LOCAL_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  LOCAL_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(64),

  PORT: z.coerce.number().int().min(0).max(65535).default(5555),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default(join(REPO_ROOT, '.data')),
  /**
   * Crash tests only: the process kills itself (SIGKILL) right after its Nth storage write
   * (functions/store/crashHook.ts). Unset in any real deployment.
   */
  CRASH_AFTER_WRITES: z.coerce.number().int().min(1).optional(),
});

export type Config = z.infer<typeof schema>;

let cached: Config | undefined;

/** The validated configuration; throws once, at start-up, naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${what}`);
  }
  return parsed.data;
}

export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** For tests and the local server, which set the environment before first use. */
export function resetConfig(): void {
  cached = undefined;
}

/** Where a query photo's face_image_path may be read (search, detect): core/imagePath.ts applies it. */
export function queryImagePolicy(
  c: Pick<Config, 'IMAGE_BUCKET' | 'ALLOWED_BUCKETS' | 'IMAGE_ROOT'>,
): ImagePathPolicy {
  return { imageBucket: c.IMAGE_BUCKET, allowedBuckets: c.ALLOWED_BUCKETS, imageRoot: c.IMAGE_ROOT };
}

/**
 * Where ingest may read: it republishes what it reads as the event's scene image, so only uploads meant
 * for it (keys under the upload prefix of the service's bucket; no allow-listed bucket, no local folder).
 */
export function uploadImagePolicy(c: Pick<Config, 'IMAGE_BUCKET' | 'UPLOAD_PREFIX'>): ImagePathPolicy {
  return { imageBucket: c.IMAGE_BUCKET, allowedBuckets: [], keyPrefix: c.UPLOAD_PREFIX };
}
