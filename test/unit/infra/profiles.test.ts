import { readSettings } from '../../../infra/settings';
import { cleanUp, logicalId, resources, synth, type Synth } from './synth';

describe('LocalStack profile', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth({ profile: 'local' });
  });
  afterAll(() => cleanUp(s));

  it('has no layer (community edition has none) and reads the models from the function asset', () => {
    s.template.resourceCountIs('AWS::Lambda::LayerVersion', 0);
    for (const [, fn] of resources(s.json, 'AWS::Lambda::Function').filter(([id]) =>
      id.startsWith('Functions'),
    )) {
      expect(fn.Properties.Layers).toBeUndefined();
      expect(fn.Properties.Environment.Variables.MODEL_DIR).toBe('/var/task/models');
      expect(fn.Properties.Architectures).toEqual(['x86_64']);
    }
  });

  it('points the SDK at LocalStack, where the store switches to path-style S3', () => {
    const fn = resources(s.json, 'AWS::Lambda::Function').find(([id]) =>
      id.startsWith('FunctionsSearch'),
    )![1];
    expect(fn.Properties.Environment.Variables).toMatchObject({
      S3_ENDPOINT: expect.stringMatching(/^http:\/\/s3\.localhost\.localstack\.cloud:4566$/),
      DYNAMODB_ENDPOINT: expect.stringMatching(/:4566$/),
    });
  });

  it('leaves out what LocalStack community lacks or the appliance does not need', () => {
    s.template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    s.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    // Still the same API, table and bucket.
    expect(logicalId(s.json, 'AWS::DynamoDB::Table', 'StorageEvents')).toBeDefined();
    s.template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
  });

  it('lets the appliance remove the stack with its data (no retained table)', () => {
    const table = s.json.Resources[logicalId(s.json, 'AWS::DynamoDB::Table', 'StorageEvents')];
    expect(table.DeletionPolicy).toBe('Delete');
  });
});

describe('API-key mode', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth({ apiAuth: 'apiKey', throttleRate: '20', throttleBurst: '40' });
  });
  afterAll(() => cleanUp(s));

  it('requires a key on every method and meters it through a usage plan', () => {
    const methods = resources(s.json, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod !== 'OPTIONS',
    );
    expect(methods).toHaveLength(4);
    for (const [, m] of methods) {
      expect(m.Properties.ApiKeyRequired).toBe(true);
      expect(m.Properties.AuthorizationType).toBe('NONE');
    }
    s.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 20, BurstLimit: 40 },
    });
    s.template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    expect(s.json.Outputs.ApiKeyId).toBeDefined();
  });
});

describe('settings', () => {
  const read = (ctx: Record<string, unknown>) => readSettings((k) => ctx[k]);

  it('defaults to the production shape: aws, arm64, IAM', () => {
    expect(read({})).toMatchObject({ profile: 'aws', arch: 'arm64', apiAuth: 'iam', console: true });
  });

  it('defaults LocalStack to x64, the usual appliance CPU, unless told otherwise', () => {
    expect(read({ profile: 'local' }).arch).toBe('x64');
    expect(read({ profile: 'local', arch: 'arm64' }).arch).toBe('arm64');
  });

  it('rejects a typo instead of deploying something else', () => {
    expect(() => read({ apiAuth: 'iamm' })).toThrow(/apiAuth/);
    expect(() => read({ arch: 'arm' })).toThrow(/arch/);
    expect(() => read({ retentionDays: '0' })).toThrow(/retentionDays/);
  });

  it('reads booleans given on the command line as strings', () => {
    expect(read({ console: 'false' }).console).toBe(false);
    expect(read({ grabMode: 'true' }).grabMode).toBe(true);
  });
});
