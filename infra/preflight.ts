/**
 * Checks that make a deploy fail in seconds with one line saying what is wrong, instead of a CDK
 * stack trace after the layer build: LocalStack not listening (deploy:local), no AWS credentials or
 * region (deploy).
 *
 *   tsx infra/preflight.ts aws     # before `npm run deploy`
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { request } from 'node:http';

export const DEFAULT_LOCALSTACK = 'http://localhost.localstack.cloud:4566';
const LOOPBACK_LOCALSTACK = 'http://127.0.0.1:4566';

/** Why `url` does not answer HTTP within `timeoutMs`, or undefined when it does (any status). */
export function unreachable(url: string, timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((done) => {
    const req = request(new URL('/_localstack/health', url), { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      done(undefined);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const reasons: Record<string, string> = {
        ECONNREFUSED: 'connection refused',
        ENOTFOUND: 'the name does not resolve',
        EAI_AGAIN: 'the name does not resolve',
        ETIMEDOUT: `no answer in ${timeoutMs / 1000} s`,
        EHOSTUNREACH: 'host unreachable',
      };
      done(reasons[err.code ?? ''] ?? err.code ?? err.message);
    });
    req.end();
  });
}

/**
 * The LocalStack endpoint to deploy to: LOCALSTACK_ENDPOINT if set, else localhost.localstack.cloud,
 * falling back to 127.0.0.1 when that name does not resolve (an offline appliance: the name is public
 * DNS pointing at 127.0.0.1). Throws one line naming what was tried and what to set.
 */
export async function localstackEndpoint(env: NodeJS.ProcessEnv): Promise<string> {
  const set = env.LOCALSTACK_ENDPOINT?.replace(/\/$/, '');
  const hint = 'Start LocalStack, or set LOCALSTACK_ENDPOINT=http://<host>:4566.';
  if (set) {
    const why = await unreachable(set);
    if (why) throw new Error(`LocalStack is not reachable at ${set} (${why}). ${hint}`);
    return set;
  }
  const why = await unreachable(DEFAULT_LOCALSTACK);
  if (!why) return DEFAULT_LOCALSTACK;
  if (why !== 'the name does not resolve')
    throw new Error(`LocalStack is not reachable at ${DEFAULT_LOCALSTACK} (${why}). ${hint}`);
  const whyLoopback = await unreachable(LOOPBACK_LOCALSTACK);
  if (whyLoopback)
    throw new Error(
      `LocalStack is not reachable at ${DEFAULT_LOCALSTACK} (${why}) nor at ${LOOPBACK_LOCALSTACK} ` +
        `(${whyLoopback}). ${hint}`,
    );
  return LOOPBACK_LOCALSTACK;
}

/** Throws one line when the AWS SDK's default chain finds no credentials or no region. */
export async function checkAwsAccess(): Promise<void> {
  // One line is the point here; the SDK's Node 20 notice (functions/store/clients.ts) would bury it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new DynamoDBClient({});
  try {
    await client.config.region().catch(() => {
      throw new Error('no AWS region: set AWS_REGION, or a region for your profile in ~/.aws/config.');
    });
    await client.config.credentials().catch(() => {
      throw new Error(
        'no AWS credentials found (environment, AWS_PROFILE, ~/.aws, SSO or instance role): run ' +
          '`aws configure` or `aws sso login`, or set AWS_PROFILE / AWS_ACCESS_KEY_ID.',
      );
    });
  } finally {
    client.destroy();
  }
}

if (require.main === module && process.argv[2] === 'aws') {
  checkAwsAccess().catch((err: Error) => {
    console.error(`deploy: ${err.message}`);
    process.exit(1);
  });
}
