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
    s = synth({ apiAuth: 'apiKey', keyThrottleRate: '20', keyThrottleBurst: '40', keyQuotaPerDay: '1000' });
  });
  afterAll(() => cleanUp(s));

  const methodIds = () =>
    Object.fromEntries(
      resources(s.json, 'AWS::ApiGateway::Method')
        .filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS')
        .map(([id, m]) => [id, m.Properties.HttpMethod as string]),
    );

  it('requires a key on every method', () => {
    const methods = resources(s.json, 'AWS::ApiGateway::Method');
    // search, detect, ingest, delete, images, openapi.json, and the jobs' POST, GET and DELETE
    expect(methods).toHaveLength(9);
    for (const [, m] of methods) {
      expect(m.Properties.ApiKeyRequired).toBe(true);
      expect(m.Properties.AuthorizationType).toBe('NONE');
    }
  });

  it('gives ingest and search keys usage plans of their own, each blocking every route it does not need', () => {
    const plans = resources(s.json, 'AWS::ApiGateway::UsagePlan');
    expect(plans).toHaveLength(2);
    const ids = methodIds();
    const blocked = (plan: Cfn) =>
      (plan.Properties.ApiStages[0].Throttle as Record<string, Cfn>) &&
      Object.entries(plan.Properties.ApiStages[0].Throttle as Record<string, Cfn>)
        .filter(([, t]) => t.RateLimit === 0 && t.BurstLimit === 0)
        .map(([path]) => path)
        .sort();
    const byDescription = (d: RegExp) => plans.find(([, p]) => d.test(p.Properties.Description))![1];
    const ingest = byDescription(/ingest only/);
    const search = byDescription(/search, detect/);
    // Method throttle keys are "/<path>/<METHOD>"; a rate and burst of 0 let nothing through.
    expect(blocked(ingest)).toEqual(
      [
        '/sophon/v2/face/detect/POST',
        '/sophon/v2/face/events/{id}/DELETE',
        '/sophon/v2/face/images/{id}/GET',
        '/sophon/v2/face/searchbyimage/POST',
        '/sophon/v2/face/searchjobs/POST',
        '/sophon/v2/face/searchjobs/{id}/GET',
        '/sophon/v2/face/searchjobs/{id}/DELETE',
      ].sort(),
    );
    expect(blocked(search)).toEqual(
      ['/sophon/v2/face/events/POST', '/sophon/v2/face/events/{id}/DELETE'].sort(),
    );
    // Erasure and a job's cancel.
    expect(Object.values(ids).filter((m) => m === 'DELETE')).toHaveLength(2);
    for (const [, p] of plans) {
      // Each key below the stage's 50/100, with a daily quota.
      expect(p.Properties.Throttle).toEqual({ RateLimit: 20, BurstLimit: 40 });
      expect(p.Properties.Quota).toEqual({ Limit: 1000, Period: 'DAY' });
    }
    s.template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    s.template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    expect(s.json.Outputs.IngestApiKeyId).toBeDefined();
    expect(s.json.Outputs.SearchApiKeyId).toBeDefined();
  });

  it('deploys no console and no CORS with it: keys are for machines', () => {
    s.template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    s.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    for (const [, m] of resources(s.json, 'AWS::ApiGateway::Method')) {
      expect(m.Properties.HttpMethod).not.toBe('OPTIONS');
    }
  });
});

describe('the console (people sign in)', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth({ console: 'true' });
  });
  afterAll(() => cleanUp(s));

  const distribution = () => logicalId(s.json, 'AWS::CloudFront::Distribution', 'ConsoleCdn');
  const origin = () => ({
    'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution(), 'DomainName'] }]],
  });
  const restApi = (prefix: string) => logicalId(s.json, 'AWS::ApiGateway::RestApi', prefix);
  const methodsOf = (apiId: string) =>
    resources(s.json, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.RestApiId.Ref === apiId);

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

  it('gets a config.js naming the console API and the hosted sign-in, and no key', () => {
    const stack = s.app.node.findChild('SophonFaceSearch') as Stack;
    const site = stack.node.findChild('Console') as Console;
    const script = JSON.stringify(stack.resolve(site.configScript));
    expect(script).toContain('window.SOPHON_CONFIG = ');
    expect(script).toContain('\\"apiKeyRequired\\":false');
    expect(script).toContain('signIn');
    expect(script).toContain(restApi('ConsoleApi'));
    expect(script).not.toContain(restApi('Api'));
    expect(script).toContain(logicalId(s.json, 'AWS::Cognito::UserPoolClient', 'PeoplePoolConsole'));
    expect(script).toContain(logicalId(s.json, 'AWS::Cognito::UserPoolDomain', 'PeoplePoolDomain'));
  });

  it('authorizes every console route with the user pool (ID tokens in Authorization), no key', () => {
    const authorizer = logicalId(s.json, 'AWS::ApiGateway::Authorizer', 'ConsoleApiPeople');
    s.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      ProviderARNs: [{ 'Fn::GetAtt': [logicalId(s.json, 'AWS::Cognito::UserPool', 'PeoplePool'), 'Arn'] }],
    });
    const methods = methodsOf(restApi('ConsoleApi')).filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods).toHaveLength(9);
    for (const [, m] of methods) {
      expect(m.Properties.AuthorizationType).toBe('COGNITO_USER_POOLS');
      expect(m.Properties.AuthorizerId).toEqual({ Ref: authorizer });
      expect(m.Properties.ApiKeyRequired).toBeFalsy();
    }
    // The machines' API is unchanged: IAM.
    for (const [, m] of methodsOf(restApi('Api'))) expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('has the three groups, no self sign-up, MFA required, a public PKCE client back to the console only', () => {
    const groups = resources(s.json, 'AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties.GroupName);
    expect(groups.sort()).toEqual(['administrator', 'operator', 'searcher']);
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      UserPoolTier: 'PLUS',
    });
    const [, client] = resources(s.json, 'AWS::Cognito::UserPoolClient')[0];
    expect(client.Properties.GenerateSecret).toBe(false);
    expect(client.Properties.AllowedOAuthFlows).toEqual(['code']);
    expect(client.Properties.CallbackURLs).toEqual([
      { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution(), 'DomainName'] }, '/']] },
    ]);
  });

  it("answers the console's preflight for its origin only, with exactly the headers it sends", () => {
    const options = methodsOf(restApi('ConsoleApi')).filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS');
    expect(options.length).toBeGreaterThanOrEqual(5);
    for (const [, m] of options) {
      const headers = m.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      expect(headers['method.response.header.Access-Control-Allow-Origin']).toEqual({
        'Fn::Join': ['', ["'https://", { 'Fn::GetAtt': [distribution(), 'DomainName'] }, "'"]],
      });
      expect(headers['method.response.header.Access-Control-Allow-Headers']).toBe(
        "'Content-Type,Authorization'",
      );
      expect(headers['method.response.header.Access-Control-Allow-Methods']).toBe("'GET,POST,DELETE'");
    }
    // The machines' API answers no browser.
    expect(methodsOf(restApi('Api')).filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS')).toEqual([]);
  });

  it("puts the allow-origin header on the console API's own rejections, and only there", () => {
    const responses = resources(s.json, 'AWS::ApiGateway::GatewayResponse');
    for (const [, r] of responses) {
      if (r.Properties.RestApiId.Ref === restApi('ConsoleApi')) {
        expect(r.Properties.ResponseParameters).toEqual({
          'gatewayresponse.header.Access-Control-Allow-Origin': {
            'Fn::Join': ['', ["'https://", { 'Fn::GetAtt': [distribution(), 'DomainName'] }, "'"]],
          },
          'gatewayresponse.header.Vary': "'Origin'",
        });
      } else {
        expect(r.Properties.ResponseParameters).toBeUndefined();
      }
    }
  });

  it('lets the functions the console calls answer its origin, and only those', () => {
    const env = (name: string) =>
      s.json.Resources[logicalId(s.json, 'AWS::Lambda::Function', `Functions${name}`)].Properties.Environment
        .Variables;
    for (const name of ['Search', 'Detect', 'Images']) expect(env(name).CORS_ORIGINS).toEqual(origin());
    for (const name of ['Ingest', 'IngestS3']) expect(env(name).CORS_ORIGINS).toBeUndefined();
  });

  it('sends a Content-Security-Policy with the page: own scripts only, no framing', () => {
    const [, policy] = resources(s.json, 'AWS::CloudFront::ResponseHeadersPolicy')[0];
    const csp = JSON.stringify(
      policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy,
    );
    for (const part of [
      "script-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      'amazoncognito.com',
    ])
      expect(csp).toContain(part);
    expect(csp).not.toContain('unsafe-inline');
    const dist = s.json.Resources[distribution()].Properties.DistributionConfig.DefaultCacheBehavior;
    expect(dist.ResponseHeadersPolicyId).toEqual({
      Ref: resources(s.json, 'AWS::CloudFront::ResponseHeadersPolicy')[0][0],
    });
  });
});

describe('settings', () => {
  const read = (ctx: Record<string, unknown>) => readSettings((k) => ctx[k]);

  it('defaults to the production shape: aws, arm64, IAM, no console, a 7-day recovery window', () => {
    expect(read({})).toMatchObject({
      profile: 'aws',
      arch: 'arm64',
      apiAuth: 'iam',
      console: false,
      recoveryDays: 7,
      waf: false,
    });
  });

  it('deploys the console only when asked, with either machine auth, never on the appliance', () => {
    expect(read({ apiAuth: 'apiKey' }).console).toBe(false);
    expect(read({ console: 'true' }).console).toBe(true);
    expect(read({ console: 'true', apiAuth: 'apiKey' }).console).toBe(true);
    expect(() => read({ console: 'true', profile: 'local' })).toThrow(/console.*profile=local/);
  });

  it('refuses a recovery window DynamoDB cannot keep, and two WAFs', () => {
    expect(() => read({ recoveryDays: '36' })).toThrow(/recoveryDays/);
    expect(() => read({ recoveryDays: '0' })).toThrow(/recoveryDays/);
    expect(() => read({ waf: 'true', wafAclArn: 'arn:aws:wafv2:x' })).toThrow(/waf/);
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
