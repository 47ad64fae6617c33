import { z } from 'zod';

/**
 * Deploy-time choices, read once from CDK context (`cdk deploy -c arch=x64`, or cdk.json) and
 * validated, so a typo fails the synth instead of deploying something else.
 */
const schema = z.object({
  /** `aws`: the production stack. `local`: LocalStack community edition on the appliance. */
  profile: z.enum(['aws', 'local']).default('aws'),
  /** Lambda architecture; the layer asset is laid out for it by layers/models/native.mjs. */
  arch: z.enum(['arm64', 'x64']).optional(),
  /**
   * How machine clients call the API. `iam`: SigV4-signed calls only. `apiKey`: narrow keys (one for
   * ingest, one for search), each in its own usage plan that blocks every other route. People use the
   * console's own API (Cognito sign-in) either way.
   */
  apiAuth: z.enum(['iam', 'apiKey']).default('iam'),
  /** `esbuild`: NodejsFunction bundles the handlers. A folder: prebuilt bundles `<folder>/<name>/index.js`. */
  bundling: z.string().default('esbuild'),
  /**
   * Deploy the search console (S3 + CloudFront) with its people: a Cognito user pool (groups searcher,
   * operator, administrator) and an API of its own behind a Cognito authorizer.
   */
  console: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
  retentionDays: z.coerce.number().int().min(1).max(36500).default(90),
  /** Days of DynamoDB point-in-time recovery: how far back a restore can go, and so how long an erased event lives in backups. */
  recoveryDays: z.coerce.number().int().min(1).max(35).default(7),
  maxConcurrentSearches: z.coerce.number().int().min(1).max(1000).default(4),
  /** Pieces of one search job scanned at once in AWS (the jobs' Distributed Map MaxConcurrency). */
  jobConcurrency: z.coerce.number().int().min(1).max(1000).default(8),
  /** Steady-state requests per second and burst for the whole API stage. */
  throttleRate: z.coerce.number().min(1).default(50),
  throttleBurst: z.coerce.number().int().min(1).default(100),
  /** Per API key (apiKey mode): requests per second, burst, and per day; below the stage's, so no one key takes it all. */
  keyThrottleRate: z.coerce.number().min(1).default(10),
  keyThrottleBurst: z.coerce.number().int().min(1).default(20),
  keyQuotaPerDay: z.coerce.number().int().min(1).default(50_000),
  /** Reserved concurrency of each API function: bounds what one flood can cost and leaves the rest of the account alone. */
  reservedConcurrency: z.coerce.number().int().min(1).max(1000).default(20),
  /** Extra buckets face_image_path may name (s3://bucket/key); comma-separated. */
  allowedBuckets: z.string().default(''),
  grabMode: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
  /** A regional WAFv2 web ACL to attach to the API stages (instead of the stack's own, `waf`). */
  wafAclArn: z.string().startsWith('arn:').optional(),
  /** Create a WAFv2 web ACL with a rate-based rule (per client IP) and attach it to the API stages. */
  waf: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
  /** Requests per client IP in any 5 minutes before the stack's WAF blocks it. */
  wafRateLimit: z.coerce.number().int().min(10).max(2_000_000_000).default(1000),
  /** Where alarm notifications go (an SNS topic is created either way). */
  alarmEmail: z.string().email().optional(),
});

export type Settings = Omit<z.infer<typeof schema>, 'arch'> & {
  arch: 'arm64' | 'x64';
};

/** Settings from a context getter (`app.node.tryGetContext`); unknown keys are ignored. */
export function readSettings(get: (key: string) => unknown): Settings {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = get(key);
    if (v !== undefined && v !== null && v !== '') raw[key] = v;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid CDK context: ${what}`);
  }
  // LocalStack runs functions on the appliance's own CPU, which is usually x86.
  const arch = parsed.data.arch ?? (parsed.data.profile === 'local' ? 'x64' : 'arm64');
  if (parsed.data.waf && parsed.data.wafAclArn) {
    throw new Error(
      "invalid CDK context: waf: give either -c waf=true (the stack's own ACL) or -c wafAclArn",
    );
  }
  if (parsed.data.console && parsed.data.profile === 'local') {
    // LocalStack community has neither CloudFront nor a Cognito authorizer: the appliance's console is the local server's.
    throw new Error(
      'invalid CDK context: console: not with profile=local (the appliance serves the console itself)',
    );
  }
  return { ...parsed.data, arch };
}
