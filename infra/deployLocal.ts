/**
 * `npm run deploy:local`: the same CDK app, deployed to LocalStack (community edition) on the
 * appliance. Endpoint override instead of a wrapper CLI: the CDK CLI's AWS SDK honours
 * AWS_ENDPOINT_URL, and S3 gets LocalStack's virtual-host name so asset uploads resolve.
 *
 *   LOCALSTACK_ENDPOINT   default http://localhost.localstack.cloud:4566 (127.0.0.1:4566 when that
 *                         name does not resolve); checked before anything is built
 *   LOCALSTACK_ARCH       x64 (default) or arm64: the appliance's CPU, which LocalStack's Lambdas run on
 *   LOCALSTACK_ALLOW_REMOTE=1   deploy although LocalStack is reachable from the network (not advised)
 *   extra arguments       passed to `cdk deploy` (e.g. -c retentionDays=30)
 *
 * Access control on the appliance is the network: LocalStack community enforces no IAM, so it must listen
 * on the loopback only (GATEWAY_LISTEN=127.0.0.1:4566), and people and cameras reach the service through
 * the local server (`npm start`, LOCAL_API_KEY required off the loopback). This script refuses to deploy
 * to a LocalStack that answers on any other address of the machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exposedAddresses, isLoopbackUrl } from './applianceAccess';
import { localstackEndpoint } from './preflight';

const root = resolve(__dirname, '..');
const arch = process.env.LOCALSTACK_ARCH ?? 'x64';
const account = '000000000000';
const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

async function refuseExposedLocalStack(endpoint: string): Promise<void> {
  if (process.env.LOCALSTACK_ALLOW_REMOTE === '1') return;
  const port = Number(new URL(endpoint).port || 4566);
  const exposed = isLoopbackUrl(endpoint) ? await exposedAddresses(port) : ['(a remote endpoint)'];
  if (exposed.length > 0) {
    console.error(
      `LocalStack answers on ${exposed.join(', ')}:${port}. It enforces no IAM: anyone who reaches it reads ` +
        'every face in the table and bucket. Start it with GATEWAY_LISTEN=127.0.0.1:4566 (and ' +
        'LOCALSTACK_ENDPOINT on the loopback), or set LOCALSTACK_ALLOW_REMOTE=1 if a firewall closes the port.',
    );
    process.exit(2);
  }
}

function run(env: NodeJS.ProcessEnv, cmd: string, args: string[]): void {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
}

async function main(): Promise<void> {
  const endpoint = await localstackEndpoint(process.env);
  await refuseExposedLocalStack(endpoint);
  // An IP endpoint makes the SDK address S3 path-style, so the s3. name is needed only with the DNS name.
  const s3Endpoint = endpoint.replace('://localhost.localstack.cloud', '://s3.localhost.localstack.cloud');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    // LocalStack accepts any credentials; fixed ones keep real AWS credentials out of this run.
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    CDK_DEFAULT_ACCOUNT: account,
    CDK_DEFAULT_REGION: region,
  };

  const context = ['-c', 'profile=local', '-c', `arch=${arch}`];
  mkdirSync(join(root, 'build'), { recursive: true });
  run(env, 'node', ['layers/models/build.mjs']);
  run(env, 'node', ['layers/models/native.mjs', '--arch', arch]);
  run(env, 'npx', ['cdk', 'bootstrap', `aws://${account}/${region}`, ...context]);
  run(env, 'npx', [
    'cdk',
    'deploy',
    ...context,
    '--require-approval',
    'never',
    '--outputs-file',
    join(root, 'build/localstack-outputs.json'),
    ...process.argv.slice(2),
  ]);
  console.log(`\nOutputs written to build/localstack-outputs.json (endpoint ${endpoint}).`);
}

main().catch((err: Error) => {
  console.error(`deploy:local: ${err.message}`);
  process.exit(1);
});
