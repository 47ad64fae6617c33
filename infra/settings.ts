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
  /** `iam`: SigV4-signed calls only. `apiKey`: an x-api-key header, metered by a usage plan. */
  apiAuth: z.enum(['iam', 'apiKey']).default('iam'),
  /** `esbuild`: NodejsFunction bundles the handlers. A folder: prebuilt bundles `<folder>/<name>/index.js`. */
  bundling: z.string().default('esbuild'),
  /**
   * Deploy the search console (S3 + CloudFront). Defaults to on with `apiAuth=apiKey` and off with IAM:
   * a browser cannot SigV4-sign, so behind IAM the page could not make a single call.
   */
  console: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
  retentionDays: z.coerce.number().int().min(1).max(36500).default(90),
  maxConcurrentSearches: z.coerce.number().int().min(1).max(1000).default(4),
  /** Steady-state requests per second and burst for the whole API stage. */
  throttleRate: z.coerce.number().min(1).default(50),
  throttleBurst: z.coerce.number().int().min(1).default(100),
  /** Extra buckets face_image_path may name (s3://bucket/key); comma-separated. */
  allowedBuckets: z.string().default(''),
  grabMode: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
  /** A regional WAFv2 web ACL to attach to the API stage. */
  wafAclArn: z.string().startsWith('arn:').optional(),
  /** Where alarm notifications go (an SNS topic is created either way). */
  alarmEmail: z.string().email().optional(),
});

export type Settings = Omit<z.infer<typeof schema>, 'arch' | 'console'> & {
  arch: 'arm64' | 'x64';
  console: boolean;
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
  const keyed = parsed.data.apiAuth === 'apiKey';
  if (parsed.data.console === true && !keyed) {
    // Deploying it anyway would publish a page that gets 403 on every call.
    throw new Error(
      'invalid CDK context: console: the search console needs -c apiAuth=apiKey (a browser cannot ' +
        'SigV4-sign calls for IAM authorization); deploy with apiKey, or leave the console out',
    );
  }
  return { ...parsed.data, arch, console: parsed.data.console ?? keyed };
}
