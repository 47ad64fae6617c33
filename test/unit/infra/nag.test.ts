import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp } from '../../../infra/app';
import { acknowledgements } from '../../../infra/nag';
import { readSettings } from '../../../infra/settings';
import { cleanUp, prebuiltBundles, synth, type Synth } from './synth';

const report = (s: Synth) => JSON.parse(readFileSync(join(s.outdir, 'validation-report.json'), 'utf8'));

describe('cdk-nag AwsSolutions', () => {
  const synths: Synth[] = [];
  afterAll(() => synths.forEach(cleanUp));

  const BOTH = ['AwsSolutions', 'CloudFormation Validate'];
  it.each([
    ['the default stack (IAM auth, so no console)', {}, BOTH],
    ['API-key mode', { apiAuth: 'apiKey' }, BOTH],
    ["the console (Cognito) with the stack's WAF", { console: 'true', waf: 'true' }, BOTH],
    // CDK runs no CloudFormation validation on the LocalStack profile's stack: its report has nag's only.
    ['the LocalStack profile', { profile: 'local' }, ['AwsSolutions']],
    ['allow-listed camera buckets', { allowedBuckets: 'cam-a,cam-b' }, BOTH],
  ])(
    'passes with zero unacknowledged findings for %s, from nag and CloudFormation validation',
    (_name, context, plugins) => {
      const s = synth(context as Record<string, string>, { cfnValidation: true });
      synths.push(s);
      const reports = report(s).pluginReports as Array<{
        pluginName: string;
        conclusion: string;
        violations: unknown[];
      }>;
      expect(reports.map((r) => r.pluginName)).toEqual(plugins);
      for (const r of reports) {
        expect({ plugin: r.pluginName, conclusion: r.conclusion }).toEqual({
          plugin: r.pluginName,
          conclusion: 'success',
        });
        expect(r.violations).toEqual([]);
      }
    },
  );

  it('fails the synth when a resource breaks a rule nobody acknowledged', () => {
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'sophon-careless-')),
      builtinCloudFormationValidation: false, // cdk-nag is what must refuse it
      context: { bundling: prebuiltBundles(), 'aws:cdk:disable-asset-staging': true },
    });
    const { stack } = buildApp(app);
    new s3.Bucket(stack, 'Careless');
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
    rmSync(app.outdir, { recursive: true, force: true });
  });

  it.each([{}, { apiAuth: 'apiKey' }, { console: 'true' }, { profile: 'local' }])(
    'gives every acknowledgement a written reason (%p)',
    (context) => {
      const settings = readSettings((k) => (context as Record<string, unknown>)[k]);
      for (const a of acknowledgements(settings)) {
        expect(a.rules.length).toBeGreaterThan(0);
        expect(a.reason.length).toBeGreaterThanOrEqual(40);
      }
    },
  );
});
