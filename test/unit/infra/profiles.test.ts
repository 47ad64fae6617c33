import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Console } from '../../../infra/constructs/console';
import { readSettings } from '../../../infra/settings';
import { type Cfn, cleanUp, logicalId, resources, synth, type Synth } from './synth';

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
    expect(methods).toHaveLength(6); // search, detect, ingest, delete, images, openapi.json
    for (const [, m] of methods) {
      expect(m.Properties.ApiKeyRequired).toBe(true);
      expect(m.Properties.AuthorizationType).toBe('NONE');
    }
    s.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 20, BurstLimit: 40 },
    });
    // One key for machine clients, one for the console's users: each revoked without the other.
    s.template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    s.template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    expect(s.json.Outputs.ApiKeyId).toBeDefined();
    expect(s.json.Outputs.ConsoleApiKeyId).toBeDefined();
  });

  describe('the console', () => {
    const distribution = () => logicalId(s.json, 'AWS::CloudFront::Distribution', 'ConsoleCdn');
    const origin = () => ({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution(), 'DomainName'] }]],
    });

    it('is deployed, a private bucket behind CloudFront with origin access control', () => {
      s.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
      s.template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          DefaultRootObject: 'index.html',
          DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        }),
      });
      const policies = resources(s.json, 'AWS::S3::BucketPolicy').flatMap(
        ([, p]) => p.Properties.PolicyDocument.Statement as Cfn[],
      );
      expect(policies).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
        }),
      );
      expect(s.json.Outputs.ConsoleUrl).toBeDefined();
    });

    it('gets a config.js naming the deployed API and telling the page to ask for a key', () => {
      const stack = s.app.node.findChild('SophonFaceSearch') as Stack;
      const site = stack.node.findChild('Console') as Console;
      const script = JSON.stringify(stack.resolve(site.configScript));
      expect(script).toContain('window.SOPHON_CONFIG = ');
      expect(script).toContain('\\"apiKeyRequired\\":true');
      // The API base is the stage URL, substituted at deploy time.
      const [[restApi]] = resources(s.json, 'AWS::ApiGateway::RestApi');
      expect(script).toContain(restApi);
      const [, deployment] = resources(s.json, 'Custom::CDKBucketDeployment')[0];
      expect(JSON.stringify(deployment.Properties.SourceMarkers)).toContain(restApi);
    });

    it("answers the console's preflight for its origin, with exactly the headers it sends", () => {
      const options = resources(s.json, 'AWS::ApiGateway::Method').filter(
        ([, m]) => m.Properties.HttpMethod === 'OPTIONS',
      );
      expect(options.length).toBeGreaterThanOrEqual(5);
      for (const [, m] of options) {
        const headers = m.Properties.Integration.IntegrationResponses[0].ResponseParameters;
        expect(headers['method.response.header.Access-Control-Allow-Origin']).toEqual({
          'Fn::Join': ['', ["'https://", { 'Fn::GetAtt': [distribution(), 'DomainName'] }, "'"]],
        });
        expect(headers['method.response.header.Access-Control-Allow-Headers']).toBe(
          "'Content-Type,X-Api-Key'",
        );
        expect(headers['method.response.header.Access-Control-Allow-Methods']).toBe("'GET,POST'");
        expect(m.Properties.ApiKeyRequired).toBeFalsy();
      }
    });

    it("puts the allow-origin header on API Gateway's own rejections (a wrong key, throttling, 5xx)", () => {
      const responses = resources(s.json, 'AWS::ApiGateway::GatewayResponse');
      expect(responses.map(([, r]) => r.Properties.ResponseType)).toEqual(
        expect.arrayContaining(['DEFAULT_4XX', 'DEFAULT_5XX', 'THROTTLED', 'REQUEST_TOO_LARGE']),
      );
      for (const [, r] of responses) {
        expect(r.Properties.ResponseParameters).toEqual({
          'gatewayresponse.header.Access-Control-Allow-Origin': {
            'Fn::Join': ['', ["'https://", { 'Fn::GetAtt': [distribution(), 'DomainName'] }, "'"]],
          },
          'gatewayresponse.header.Vary': "'Origin'",
        });
      }
    });

    it('lets the functions the console calls answer its origin, and only those', () => {
      const env = (name: string) =>
        s.json.Resources[logicalId(s.json, 'AWS::Lambda::Function', `Functions${name}`)].Properties
          .Environment.Variables;
      for (const name of ['Search', 'Detect', 'Images']) expect(env(name).CORS_ORIGINS).toEqual(origin());
      for (const name of ['Ingest', 'IngestS3']) expect(env(name).CORS_ORIGINS).toBeUndefined();
    });
  });
});

describe('settings', () => {
  const read = (ctx: Record<string, unknown>) => readSettings((k) => ctx[k]);

  it('defaults to the production shape: aws, arm64, IAM, and so no console', () => {
    expect(read({})).toMatchObject({ profile: 'aws', arch: 'arm64', apiAuth: 'iam', console: false });
  });

  it('deploys the console with API keys unless told not to, and refuses it behind IAM', () => {
    expect(read({ apiAuth: 'apiKey' }).console).toBe(true);
    expect(read({ apiAuth: 'apiKey', console: 'false' }).console).toBe(false);
    expect(read({ console: 'false' }).console).toBe(false);
    expect(() => read({ console: 'true' })).toThrow(/console.*needs -c apiAuth=apiKey/);
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
