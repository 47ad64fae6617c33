/** Issue 18 in the templates: keys we control, resource policies, retention, erasure, narrow access. */
import { ROUTES, roleOf, ACCESS_LOG_FIELDS } from '../../../infra/constructs/api';
import { SIZING } from '../../../infra/constructs/faceFunctions';
import { retentionTagValues } from '../../../functions/core/retention';
import {
  asArray,
  type Cfn,
  cleanUp,
  logicalId,
  resources,
  stackFunctions,
  statementsOfRole,
  synth,
  type Synth,
} from './synth';

let s: Synth;
beforeAll(() => {
  s = synth({ retentionDays: '30', recoveryDays: '14' });
});
afterAll(() => cleanUp(s));

const roleId = (name: string) => logicalId(s.json, 'AWS::IAM::Role', `Functions${name}Role`);
const keyId = () => logicalId(s.json, 'AWS::KMS::Key', 'StorageDataKey');
const adminId = () => logicalId(s.json, 'AWS::IAM::Role', 'StorageDataAdmin');
const uploaderId = () => logicalId(s.json, 'AWS::IAM::Role', 'StorageUploader');
const tableId = () => logicalId(s.json, 'AWS::DynamoDB::Table', 'StorageEvents');
const bucketId = () => logicalId(s.json, 'AWS::S3::Bucket', 'StorageImages');
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
/** The roles that may use the data: every function of the stack's, and the data administrator. */
const trusted = () => [adminId(), ...stackFunctions(s.json).map((f) => f.role)].map(arnOf);
/** The same principals as `trusted()`, in any order. */
const sameRoles = (arns: Cfn[]) => {
  expect(arns).toHaveLength(trusted().length);
  expect(arns).toEqual(expect.arrayContaining(trusted()));
};
/** The API's functions (infra/constructs/faceFunctions.ts), from the template. */
const apiFunctions = () =>
  resources(s.json, 'AWS::Lambda::Function')
    .map(([id]) => id)
    .filter((id) => /^Functions[A-Za-z0-9]+[0-9A-F]{8}$/.test(id));

describe('the customer-managed key', () => {
  const policy = () => s.json.Resources[keyId()].Properties.KeyPolicy.Statement as Cfn[];
  const usage = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];

  it('rotates, is kept on stack delete, and encrypts the table and the image bucket', () => {
    const key = s.json.Resources[keyId()];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(s.json.Resources[tableId()].Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: arnOf(keyId()),
    });
    const sse = s.json.Resources[bucketId()].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0];
    expect(sse.ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: arnOf(keyId()),
    });
    expect(sse.BucketKeyEnabled).toBe(true);
  });

  it('lets the account administer the key but not use it', () => {
    const account = policy().find((st) => st.Sid === 'AccountAdministersNotUses');
    for (const a of [...usage, 'kms:*']) expect(asArray(account.Action)).not.toContain(a);
    // Nothing else names the account for use, except DynamoDB's grant (see below).
    for (const st of policy().filter(
      (x) => x.Sid !== 'AccountAdministersNotUses' && x.Sid !== 'DynamoDbGrantForTheTable',
    )) {
      expect(JSON.stringify(st.Principal)).not.toContain(':root');
    }
  });

  it('lets only the function roles and the data administrator use it, through DynamoDB and S3 only', () => {
    const st = policy().find((x) => x.Sid === 'TrustedRolesUseThroughDynamoDbAndS3');
    expect(st.Effect).toBe('Allow');
    expect(asArray(st.Action)).toEqual(expect.arrayContaining(usage));
    sameRoles(st.Condition.ArnEquals['aws:PrincipalArn']);
    // The search jobs' functions among them (a template test that lists functions by hand misses new ones).
    expect(trusted()).toEqual(
      expect.arrayContaining(
        [roleId('Jobs'), logicalId(s.json, 'AWS::IAM::Role', 'SearchJobsPieceRole')].map(arnOf),
      ),
    );
    expect(JSON.stringify(st.Condition.StringEquals['kms:ViaService'])).toMatch(/dynamodb\..*s3\./);
  });

  it('gives DynamoDB its grant for AWS resources only, and the uploader only what S3 needs to write', () => {
    const grant = policy().find((x) => x.Sid === 'DynamoDbGrantForTheTable');
    expect(grant.Action).toEqual(['kms:CreateGrant', 'kms:DescribeKey']);
    expect(grant.Condition.Bool).toEqual({ 'kms:GrantIsForAWSResource': 'true' });
    const up = policy().find((x) => x.Sid === 'UploaderEncryptsThroughS3');
    expect(up.Principal).toEqual({ AWS: arnOf(uploaderId()) });
    expect(JSON.stringify(up.Condition)).toContain('s3.');
  });

  it('names the key in every function that writes objects, so every object written is under it', () => {
    const writers = stackFunctions(s.json).filter((f) =>
      statementsOfRole(s.json, f.role).some((st) => asArray(st.Action).includes('s3:PutObject')),
    );
    expect(writers.length).toBeGreaterThanOrEqual(5);
    for (const { fn } of writers) {
      expect(fn.Properties.Environment.Variables.IMAGE_KMS_KEY_ID).toEqual(arnOf(keyId()));
    }
  });
});

describe('resource policies', () => {
  it('deny every principal but the trusted roles the items of the table', () => {
    const [st] = s.json.Resources[tableId()].Properties.ResourcePolicy.PolicyDocument.Statement;
    expect(st.Effect).toBe('Deny');
    expect(st.Principal).toEqual({ AWS: '*' });
    expect(st.Action).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:ExportTableToPointInTime',
      ]),
    );
    sameRoles(st.Condition.ArnNotEquals['aws:PrincipalArn']);
  });

  it('deny everyone else the objects of the bucket; the uploader may only put under incoming/, with our key', () => {
    const policy = resources(s.json, 'AWS::S3::BucketPolicy').find(
      ([, p]) => p.Properties.Bucket.Ref === bucketId(),
    )![1];
    const st = policy.Properties.PolicyDocument.Statement as Cfn[];
    const bySid = (sid: string) => st.find((x) => x.Sid === sid);
    const reads = bySid('OnlyTrustedRolesTouchObjects');
    expect(reads.Effect).toBe('Deny');
    expect(reads.Action).toEqual(
      expect.arrayContaining(['s3:GetObject', 's3:DeleteObject', 's3:ListBucket']),
    );
    sameRoles(reads.Condition.ArnNotEquals['aws:PrincipalArn']);
    const puts = bySid('OnlyTrustedRolesAndUploaderPut').Condition.ArnNotEquals['aws:PrincipalArn'] as Cfn[];
    expect(puts.at(-1)).toEqual(arnOf(uploaderId()));
    sameRoles(puts.slice(0, -1));
    expect(JSON.stringify(bySid('UploaderOnlyUnderIncoming').Resource)).toMatch(/images\/\*.*erasures\/\*/);
    expect(bySid('OnlyOurKey').Condition).toEqual({
      StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': arnOf(keyId()) },
    });
    const uploader = statementsOfRole(s.json, uploaderId());
    expect(uploader).toEqual([
      expect.objectContaining({
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [arnOf(bucketId()), '/incoming/*']] },
      }),
    ]);
  });

  it('in IAM mode, let only this account invoke the API, and only the data administrator erase', () => {
    const api = s.json.Resources[logicalId(s.json, 'AWS::ApiGateway::RestApi', 'Api')];
    const st = api.Properties.Policy.Statement as Cfn[];
    expect(st).toContainEqual(
      expect.objectContaining({ Sid: 'ThisAccountOnly', Effect: 'Allow', Action: 'execute-api:Invoke' }),
    );
    const erase = st.find((x) => x.Sid === 'OnlyTheEraserErases');
    expect(erase.Effect).toBe('Deny');
    // Erasure only: cancelling a search job (DELETE …/searchjobs/{id}) is a searcher's.
    expect(erase.Resource).toBe('execute-api:/*/DELETE/sophon/v2/face/events/*');
    expect(erase.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual(arnOf(adminId()));
  });

  it('the data administrator needs MFA to be assumed', () => {
    const trust = s.json.Resources[adminId()].Properties.AssumeRolePolicyDocument.Statement[0];
    expect(trust.Condition).toEqual({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } });
  });
});

describe('retention and erasure', () => {
  const rules = () => s.json.Resources[bucketId()].Properties.LifecycleConfiguration.Rules as Cfn[];

  it('keeps the point-in-time recovery window the setting chose', () => {
    expect(s.json.Resources[tableId()].Properties.PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: true,
      RecoveryPeriodInDays: 14,
    });
  });

  it('expires each tagged image with its event: one rule per retention-days value, under images/', () => {
    const tagged = rules().filter((r) => r.TagFilters);
    expect(tagged.map((r) => r.ExpirationInDays)).toEqual(retentionTagValues(30));
    for (const r of tagged) {
      expect(r.Prefix).toBe('images/');
      expect(r.TagFilters).toEqual([{ Key: 'retention-days', Value: String(r.ExpirationInDays) }]);
    }
    expect(rules().length).toBeLessThanOrEqual(1000);
    expect(retentionTagValues(36500).length + 5).toBeLessThanOrEqual(1000);
  });

  it('keeps the erasure list past any event a restore could bring back (retention + 2 days)', () => {
    expect(rules()).toContainEqual(
      expect.objectContaining({ Id: 'erasures', Prefix: 'erasures/', ExpirationInDays: 32 }),
    );
  });
});

describe('the API', () => {
  it('gives every route a person role (searcher, operator, administrator)', () => {
    expect(ROUTES.map((r) => `${r.method} ${r.path} ${roleOf(r)}`)).toEqual([
      'POST /sophon/v2/face/searchbyimage searcher',
      'POST /sophon/v2/face/detect searcher',
      'POST /sophon/v2/face/searchjobs searcher',
      'GET /sophon/v2/face/searchjobs/{id} searcher',
      'DELETE /sophon/v2/face/searchjobs/{id} searcher',
      'POST /sophon/v2/face/events operator',
      'DELETE /sophon/v2/face/events/{id} administrator',
      'GET /sophon/v2/face/images/{id} searcher',
      'GET /sophon/v2/openapi.json searcher',
    ]);
  });

  it('writes who did what to which path in every access log line', () => {
    const [, stage] = resources(s.json, 'AWS::ApiGateway::Stage')[0];
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format);
    expect(format).toEqual(ACCESS_LOG_FIELDS);
    expect(format).toMatchObject({
      principal: '$context.identity.userArn',
      apiKeyId: '$context.identity.apiKeyId',
      personSub: '$context.authorizer.claims.sub',
      method: '$context.httpMethod',
      path: '$context.path',
      status: '$context.status',
    });
  });

  it("keeps API Gateway's account-wide logging role when the stack goes", () => {
    const [, account] = resources(s.json, 'AWS::ApiGateway::Account')[0];
    expect(account.DeletionPolicy).toBe('Retain');
    expect(s.json.Resources[logicalId(s.json, 'AWS::IAM::Role', 'ApiCloudWatchRole')].DeletionPolicy).toBe(
      'Retain',
    );
  });

  it('attaches no WAF unless asked', () => {
    s.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });
});

describe('functions', () => {
  it('have reserved concurrency, and search, ingest and jobs time out before API Gateway (29 s)', () => {
    expect(apiFunctions()).toHaveLength(6);
    for (const id of apiFunctions()) {
      expect(s.json.Resources[id].Properties.ReservedConcurrentExecutions).toBe(20);
    }
    expect(SIZING.search.timeout.toSeconds()).toBeLessThan(29);
    expect(SIZING.ingestApi.timeout.toSeconds()).toBeLessThan(29);
    expect(SIZING.jobs.timeout.toSeconds()).toBeLessThan(29);
  });

  it('bind every DynamoDB statement of every function to partition-key prefixes (dynamodb:LeadingKeys)', () => {
    for (const { role } of stackFunctions(s.json)) {
      for (const st of statementsOfRole(s.json, role)) {
        if (!asArray(st.Action).some((a: string) => a.startsWith('dynamodb:'))) continue;
        const keys = Object.values(st.Condition ?? {}).map((c) => (c as Cfn)['dynamodb:LeadingKeys']);
        expect(keys.filter(Boolean)).toHaveLength(1);
      }
    }
  });

  it('let ingest read only its upload prefix', () => {
    for (const f of ['Ingest', 'IngestS3']) {
      const reads = statementsOfRole(s.json, roleId(f)).filter((x) =>
        asArray(x.Action).includes('s3:GetObject'),
      );
      expect(reads.map((x) => x.Resource)).toEqual([
        { 'Fn::Join': ['', [arnOf(bucketId()), '/incoming/*']] },
      ]);
    }
  });
});

describe('options', () => {
  it('-c waf=true: a rate-based rule per client IP on a web ACL attached to every API stage', () => {
    const w = synth({ waf: 'true', wafRateLimit: '500', console: 'true' });
    try {
      const [, acl] = resources(w.json, 'AWS::WAFv2::WebACL')[0];
      expect(acl.Properties.Scope).toBe('REGIONAL');
      expect(acl.Properties.Rules[0].Statement.RateBasedStatement).toEqual({
        Limit: 500,
        AggregateKeyType: 'IP',
      });
      expect(acl.Properties.Rules[0].Action).toEqual({ Block: {} });
      const associations = resources(w.json, 'AWS::WAFv2::WebACLAssociation');
      const stages = resources(w.json, 'AWS::ApiGateway::Stage');
      expect(stages).toHaveLength(2);
      expect(associations).toHaveLength(2);
    } finally {
      cleanUp(w);
    }
  });

  it('LocalStack: no key or resource policies (community enforces neither); the appliance relies on its network', () => {
    const l = synth({ profile: 'local' });
    try {
      l.template.resourceCountIs('AWS::KMS::Key', 0);
      const [, table] = resources(l.json, 'AWS::DynamoDB::Table')[0];
      expect(table.Properties.ResourcePolicy).toBeUndefined();
    } finally {
      cleanUp(l);
    }
  });
});
