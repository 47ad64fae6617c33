import { join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { Settings } from '../settings';
import { REPO_ROOT } from './modelLayer';

/**
 * How every function of the stack is bundled: CommonJS for Node 22, minified with source maps. Native
 * code (face models) comes from the layer or is copied in by the caller's hooks; the local stand-ins
 * never ship.
 */
export function bundlingOptions(extra: Partial<BundlingOptions> = {}): BundlingOptions {
  return {
    format: OutputFormat.CJS,
    target: 'node22',
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    // esbuild's per-bundle size warnings (a 1.2 MB bundle is expected: the AWS SDK is in it) would fill
    // `npm run synth`'s output; errors still show.
    logLevel: LogLevel.ERROR,
    externalModules: ['onnxruntime-node', 'sharp', 'dynalite', 's3rver'],
    ...extra,
  };
}

/** A function's log group (a month) and its own role, which writes only that log group. */
export function functionIdentity(
  scope: Construct,
  id: string,
  description: string,
): { logGroup: logs.LogGroup; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // Instead of the managed basic-execution policy, which may write to any log group in the account.
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${description}: least privilege`,
  });
  logGroup.grantWrite(role);
  return { logGroup, role };
}

/**
 * Where a store function reaches the table and bucket: in the `local` profile LocalStack, under a name
 * that inside LocalStack's Lambda containers resolves to LocalStack itself (the store switches to
 * path-style S3 whenever an endpoint is set); in AWS the SDK's own endpoints.
 */
export function storeEndpoints(settings: Settings): Record<string, string> {
  return settings.profile === 'local'
    ? {
        S3_ENDPOINT: 'http://s3.localhost.localstack.cloud:4566',
        DYNAMODB_ENDPOINT: 'http://localhost.localstack.cloud:4566',
      }
    : {};
}

export type FunctionOptions = Omit<lambda.FunctionProps, 'code' | 'handler' | 'runtime' | 'architecture'>;

/**
 * A Node 22 function of `entry` (a handler file under the repository): bundled by esbuild, or, in
 * template tests (`bundling` set to a folder), the prebuilt `<folder>/<bundle>/index.js`, so a synth
 * costs no esbuild run.
 */
export function nodeFunction(
  scope: Construct,
  id: string,
  settings: Settings,
  source: { entry: string; bundle: string; bundling?: Partial<BundlingOptions> },
  options: FunctionOptions,
): lambda.Function {
  const common = {
    ...options,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: settings.arch === 'x64' ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64,
  };
  if (settings.bundling !== 'esbuild')
    return new lambda.Function(scope, id, {
      ...common,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(join(settings.bundling, source.bundle)),
    });
  return new NodejsFunction(scope, id, {
    ...common,
    entry: join(REPO_ROOT, source.entry),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    bundling: bundlingOptions(source.bundling),
  });
}
