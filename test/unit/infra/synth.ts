import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../infra/app';

/**
 * Prebuilt stand-in bundles, so a template test costs no esbuild run; the bundle test
 * (test/integration/bundle) synthesizes with real esbuild bundling and runs the output.
 */
export function prebuiltBundles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sophon-bundles-'));
  for (const name of [
    'search',
    'detect',
    'ingest',
    'ingestS3',
    'images',
    'compactor',
    'reconcile',
    'jobs',
    'jobPiece',
  ]) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'index.js'), 'exports.handler = async () => ({ statusCode: 204 });\n');
  }
  return dir;
}

/** A synthesized CloudFormation template is untyped JSON; the tests index into it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Cfn = any;

export interface Synth {
  app: App;
  template: Template;
  json: Record<string, Cfn>;
  outdir: string;
}

/**
 * Synthesizes the real app (cdk-nag included) with the given context into a fresh folder. CDK's own
 * CloudFormation validation (a WASM engine: ~7 s to start in each test file, ~1 s a template) runs
 * only when asked: nag.test.ts asks for it on every profile; the other files read the template.
 */
export function synth(context: Record<string, string> = {}, opts: { cfnValidation?: boolean } = {}): Synth {
  const outdir = mkdtempSync(join(tmpdir(), 'sophon-cdk-out-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: opts.cfnValidation ?? false,
    // Reference assets in place instead of copying the 100 MB layer into every test's cloud assembly.
    context: { bundling: prebuiltBundles(), 'aws:cdk:disable-asset-staging': true, ...context },
  });
  const { stack } = buildApp(app);
  app.synth();
  const template = Template.fromStack(stack);
  return { app, template, json: template.toJSON(), outdir };
}

/** Resources of one CloudFormation type, by logical id. */
export function resources(json: Record<string, Cfn>, type: string): [string, Cfn][] {
  return Object.entries(json.Resources as Record<string, Cfn>).filter(([, r]) => r.Type === type);
}

/** The logical id of the one resource of `type` whose id is `prefix` plus CDK's 8-character hash. */
export function logicalId(json: Record<string, Cfn>, type: string, prefix: string): string {
  const ids = resources(json, type)
    .map(([id]) => id)
    .filter((id) => id.startsWith(prefix) && /^[0-9A-F]{8}$/.test(id.slice(prefix.length)));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

/** Every IAM statement attached to a role (through the policies naming it). */
export function statementsOfRole(json: Record<string, Cfn>, roleId: string): Cfn[] {
  return resources(json, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Cfn[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Cfn[]);
}

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Removes a synth's cloud assembly. */
export function cleanUp(s: Synth | undefined): void {
  if (s) rmSync(s.outdir, { recursive: true, force: true });
}

/**
 * The stack's own functions, read from the template: those given the events table (CDK's own
 * custom-resource handlers are not). A test that loops over these covers a function added later.
 */
export function stackFunctions(json: Record<string, Cfn>): Array<{ id: string; role: string; fn: Cfn }> {
  return resources(json, 'AWS::Lambda::Function')
    .filter(([, f]) => f.Properties.Environment?.Variables?.EVENTS_TABLE !== undefined)
    .map(([id, fn]) => ({ id, role: fn.Properties.Role['Fn::GetAtt'][0] as string, fn }));
}
