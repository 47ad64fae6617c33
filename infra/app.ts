#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FaceSearchStack } from './stack';
import { readSettings } from './settings';

/**
 * `npx cdk synth` / `npm run deploy`. Env-agnostic (no account or region lookups), so synth works
 * offline and in CI without credentials; cdk-nag's AwsSolutions checks run on every synth.
 */
export function buildApp(app: App = new App()): { app: App; stack: FaceSearchStack } {
  const settings = readSettings((k) => app.node.tryGetContext(k));
  const stack = new FaceSearchStack(
    app,
    (app.node.tryGetContext('stackName') as string | undefined) ?? 'SophonFaceSearch',
    {
      settings,
      description: 'Sophon face search by image (API Gateway, Lambda, DynamoDB, S3)',
    },
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

if (require.main === module) buildApp();
