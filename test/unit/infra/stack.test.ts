import { Match } from 'aws-cdk-lib/assertions';
import { COMPACTION } from '../../../infra/constructs/compactor';
import { CLOUD_MAX_IMAGE_BYTES, SIZING } from '../../../infra/constructs/faceFunctions';
import {
  asArray,
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
  s = synth({ retentionDays: '45' });
});
afterAll(() => cleanUp(s));

const FUNCTIONS = {
  Search: SIZING.search,
  Detect: SIZING.detect,
  Ingest: SIZING.ingestApi,
  IngestS3: SIZING.ingestS3,
  Images: SIZING.images,
  Jobs: SIZING.jobs,
};
const fnId = (name: string) => logicalId(s.json, 'AWS::Lambda::Function', `Functions${name}`);
const roleId = (name: string) => logicalId(s.json, 'AWS::IAM::Role', `Functions${name}Role`);
const tableId = () => logicalId(s.json, 'AWS::DynamoDB::Table', 'StorageEvents');
const bucketId = () => logicalId(s.json, 'AWS::S3::Bucket', 'StorageImages');

describe('events table', () => {
  it('is on-demand, encrypted, point-in-time recoverable, keyed pk/sk, with TTL on expiresAt', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(s.json.Resources[tableId()].DeletionPolicy).toBe('Retain');
  });
});

describe('image bucket', () => {
  it('blocks public access, encrypts with the data key, and keeps images as long as the retention', () => {
    const bucket = s.json.Resources[bucketId()].Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(s.json, 'AWS::KMS::Key', 'StorageDataKey'), 'Arn'] },
    });
    const rules = bucket.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        Id: 'retention',
        Prefix: 'images/',
        ExpirationInDays: 45,
        Status: 'Enabled',
      }),
    );
    expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'incoming/', ExpirationInDays: 1 }));
    expect(bucket.LoggingConfiguration.DestinationBucketName).toBeDefined();
  });

  it('denies every request that is not over TLS', () => {
    const policy = resources(s.json, 'AWS::S3::BucketPolicy').find(
      ([, p]) => p.Properties.Bucket.Ref === bucketId(),
    )![1];
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('sends ObjectCreated under incoming/ to the S3 ingest function, and only that', () => {
    const [, n] = resources(s.json, 'Custom::S3BucketNotifications')[0];
    expect(n.Properties.BucketName.Ref).toBe(bucketId());
    const configs = n.Properties.NotificationConfiguration.LambdaFunctionConfigurations;
    expect(configs).toHaveLength(1);
    expect(configs[0]).toEqual({
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
      LambdaFunctionArn: { 'Fn::GetAtt': [fnId('IngestS3'), 'Arn'] },
    });
  });
});

describe('functions', () => {
  it.each(Object.entries(FUNCTIONS))(
    '%s runs nodejs22.x on arm64 with the model layer and its measured size',
    (name, size) => {
      const fn = s.json.Resources[fnId(name)].Properties;
      expect(fn.Runtime).toBe('nodejs22.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.MemorySize).toBe(size.memoryMb);
      expect(fn.Timeout).toBe(size.timeout.toSeconds());
      const layerId = logicalId(s.json, 'AWS::Lambda::LayerVersion', 'ModelsLayer');
      expect(fn.Layers).toEqual([{ Ref: layerId }]);
      expect(fn.Role['Fn::GetAtt'][0]).toBe(roleId(name));
      const env = fn.Environment.Variables;
      expect(env).toMatchObject({
        EVENTS_TABLE: { Ref: tableId() },
        IMAGE_BUCKET: { Ref: bucketId() },
        MODEL_DIR: '/opt/models',
        UPLOAD_PREFIX: 'incoming/',
        RETENTION_DAYS: '45',
        MAX_IMAGE_BYTES: String(CLOUD_MAX_IMAGE_BYTES),
      });
      expect(env.S3_ENDPOINT).toBeUndefined();
      expect(env.DYNAMODB_ENDPOINT).toBeUndefined();
    },
  );

  it('sizes every function of FaceFunctions above (none added without its checks)', () => {
    const ids = resources(s.json, 'AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => /^Functions[A-Za-z0-9]+[0-9A-F]{8}$/.test(id));
    expect(ids.sort()).toEqual(Object.keys(FUNCTIONS).map(fnId).sort());
  });

  it('fits a base64 query image of MAX_IMAGE_BYTES into the 6 MB synchronous invoke payload', () => {
    const base64 = Math.ceil(CLOUD_MAX_IMAGE_BYTES / 3) * 4;
    expect(base64 + 64 * 1024).toBeLessThan(6 * 1024 * 1024);
  });

  it('gives each function a log group of its own with a retention', () => {
    const groups = stackFunctions(s.json).map((f) => f.fn.Properties.LoggingConfig.LogGroup.Ref as string);
    expect(new Set(groups).size).toBe(groups.length);
    for (const g of groups) expect(s.json.Resources[g].Properties.RetentionInDays).toBeGreaterThan(0);
    for (const name of Object.keys(FUNCTIONS)) {
      const g = s.json.Resources[fnId(name)].Properties.LoggingConfig.LogGroup.Ref as string;
      expect(s.json.Resources[g].Properties.RetentionInDays).toBe(30);
    }
  });

  it('retries failed S3 ingests twice, then parks them in an encrypted queue', () => {
    const queueId = logicalId(s.json, 'AWS::SQS::Queue', 'FunctionsIngestFailures');
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId('IngestS3') },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    expect(s.json.Resources[queueId].Properties.SqsManagedSseEnabled).toBe(true);
  });
});

describe('least privilege', () => {
  const actionsOf = (name: string) =>
    statementsOfRole(s.json, roleId(name)).flatMap((st) => asArray(st.Action) as string[]);

  it('never grants a wildcard action or a "*" resource to any function', () => {
    for (const { role } of stackFunctions(s.json)) {
      for (const st of statementsOfRole(s.json, role)) {
        for (const a of asArray(st.Action) as string[]) expect(a).not.toMatch(/\*/);
        for (const r of asArray(st.Resource)) expect(r).not.toBe('*');
      }
    }
  });

  it('uses no AWS managed policies on function roles', () => {
    for (const { role } of stackFunctions(s.json)) {
      expect(s.json.Resources[role].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets search only query the table, write its lease items, and read images', () => {
    const st = statementsOfRole(s.json, roleId('Search'));
    const table = { 'Fn::GetAtt': [tableId(), 'Arn'] };
    expect(st).toContainEqual(expect.objectContaining({ Action: 'dynamodb:Query', Resource: table }));
    expect(st).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: table,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LEASE#search'] } },
    });
    // Every write of search is bound to the lease partition.
    for (const x of st.filter((x) =>
      asArray(x.Action).some((a: string) => /Put|Update|Delete|Write/.test(a)),
    )) {
      if (asArray(x.Action).some((a: string) => a.startsWith('dynamodb:'))) {
        expect(x.Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys']).toEqual(['LEASE#search']);
      }
    }
    const actions = actionsOf('Search');
    expect([...new Set(actions.filter((a) => a.startsWith('s3:')))]).toEqual(['s3:GetObject']);
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:BatchWriteItem');
  });

  it('lets detect read query photos (face_image_path) and nothing else: no table, no writes', () => {
    const actions = actionsOf('Detect').filter((a) => !a.startsWith('logs:'));
    expect(actions).toEqual(['s3:GetObject']);
    const reads = statementsOfRole(s.json, roleId('Detect')).filter((x) => x.Action === 's3:GetObject');
    const searchReads = statementsOfRole(s.json, roleId('Search')).filter((x) => x.Action === 's3:GetObject');
    // The same query photos as search (which also reads segments/, already inside the whole-bucket read).
    expect(searchReads.map((x) => x.Resource)).toEqual(expect.arrayContaining(reads.map((x) => x.Resource)));
  });

  it('lets ingest write (and undo) images only under images/ and delete uploads only under incoming/', () => {
    const objects = (prefix: string) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, `/${prefix}*`]],
    });
    for (const fn of ['Ingest', 'IngestS3']) {
      const st = statementsOfRole(s.json, roleId(fn));
      expect(st).toContainEqual(
        expect.objectContaining({
          Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'],
          Resource: objects('images/'),
        }),
      );
      const deletes = st.filter((x) => [x.Action].flat().includes('s3:DeleteObject'));
      const allowed = fn === 'IngestS3' ? [objects('images/'), objects('incoming/')] : [objects('images/')];
      expect(deletes.map((x) => x.Resource)).toEqual(expect.arrayContaining(allowed));
      expect(deletes).toHaveLength(allowed.length);
    }
  });

  it('lets the images function read and delete only stored images, and write only the erasure list', () => {
    const actions = actionsOf('Images');
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:DeleteItem', 's3:GetObject', 's3:DeleteObject']),
    );
    const puts = statementsOfRole(s.json, roleId('Images')).filter((x) =>
      asArray(x.Action).includes('s3:PutObject'),
    );
    expect(puts.map((x) => x.Resource)).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, '/erasures/*']] },
    ]);
    expect(actions).not.toContain('dynamodb:PutItem');
  });
});

describe('history compactor', () => {
  const compactorId = () => logicalId(s.json, 'AWS::Lambda::Function', 'CompactorFunction');
  const compactorRole = () => logicalId(s.json, 'AWS::IAM::Role', 'CompactorRole');
  const table = () => ({ 'Fn::GetAtt': [tableId(), 'Arn'] });

  it('runs every 5 minutes from an EventBridge schedule, one run at a time, each ending before the next', () => {
    // The compactor's rule (the daily reconcile has its own: test/unit/infra/monitoring.test.ts).
    const rules = resources(s.json, 'AWS::Events::Rule')
      .map(([, r]) => r.Properties)
      .filter((r) => JSON.stringify(r.Targets).includes(compactorId()));
    expect(rules).toHaveLength(1);
    expect(rules[0].ScheduleExpression).toBe('rate(5 minutes)');
    expect(rules[0].State).toBe('ENABLED');
    expect(rules[0].Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [compactorId(), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0 },
      }),
    ]);
    const fn = s.json.Resources[compactorId()].Properties;
    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Timeout).toBe(COMPACTION.timeout.toSeconds());
    // The erasure bound: interval + timeout under 10 minutes, and the run budget inside the timeout.
    expect(COMPACTION.interval.toSeconds() + fn.Timeout).toBeLessThan(600);
    expect(Number(fn.Environment.Variables.COMPACTION_BUDGET_SECONDS)).toBeLessThan(fn.Timeout);
    expect(fn.Environment.Variables).toMatchObject({
      EVENTS_TABLE: { Ref: tableId() },
      IMAGE_BUCKET: { Ref: bucketId() },
      RETENTION_DAYS: '45',
    });
    expect(fn.Layers).toBeUndefined(); // no face models: it only moves stored codes
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [compactorId(), 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  it('may only read hour versions and hour partitions, and list, write and remove segments/ objects', () => {
    const st = statementsOfRole(s.json, compactorRole()).filter(
      (x) => !asArray(x.Action).some((a: string) => a.startsWith('logs:')),
    );
    const segments = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, '/segments/*']] };
    expect(st).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:BatchGetItem',
        Resource: table(),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['HV#*'] } },
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: table(),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EV#*'] } },
      },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [bucketId(), 'Arn'] },
        Condition: { StringLike: { 's3:prefix': ['segments/*'] } },
      },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: segments },
    ]);
    expect(s.json.Resources[compactorRole()].Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('is watched by the alarms like the other functions', () => {
    const alarms = resources(s.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const mine = alarms.filter((a) => a.Dimensions?.[0]?.Value?.Ref === compactorId());
    expect(mine.map((a) => a.MetricName).sort()).toEqual(['Duration', 'Errors', 'Throttles']);
  });
});

describe('API', () => {
  const ROUTES = [
    ['POST', 'searchbyimage', 'Search'],
    ['POST', 'detect', 'Detect'],
    ['POST', 'events', 'Ingest'],
    ['DELETE', 'events/{id}', 'Images'],
    ['GET', 'images/{id}', 'Images'],
    ['POST', 'searchjobs', 'Jobs'],
    ['GET', 'searchjobs/{id}', 'Jobs'],
    ['DELETE', 'searchjobs/{id}', 'Jobs'],
  ] as const;

  /** The path of an API Gateway resource below /sophon/v2/face, from its parents. */
  const pathOf = (id: string): string => {
    const r = s.json.Resources[id].Properties;
    const parent = r.ParentId.Ref as string | undefined;
    return parent && s.json.Resources[parent]?.Type === 'AWS::ApiGateway::Resource'
      ? `${pathOf(parent)}/${r.PathPart}`
      : r.PathPart;
  };

  it.each(ROUTES)('%s …/%s requires IAM authorization and proxies to %s', (method, part, fn) => {
    const resourceIds = resources(s.json, 'AWS::ApiGateway::Resource')
      .filter(([id]) => pathOf(id) === `sophon/v2/face/${part}`)
      .map(([id]) => id);
    const methods = resources(s.json, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod === method && resourceIds.includes(m.Properties.ResourceId.Ref),
    );
    expect(methods).toHaveLength(1);
    const m = methods[0][1].Properties;
    expect(m.AuthorizationType).toBe('AWS_IAM');
    expect(m.Integration.Type).toBe('AWS_PROXY');
    expect(JSON.stringify(m.Integration.Uri)).toContain(fnId(fn));
  });

  it('serves the routes under /sophon/v2/face', () => {
    const parts = resources(s.json, 'AWS::ApiGateway::Resource').map(([, r]) => r.Properties.PathPart);
    expect(parts).toEqual(
      expect.arrayContaining([
        'sophon',
        'v2',
        'face',
        'searchbyimage',
        'detect',
        'events',
        'images',
        'searchjobs',
      ]),
    );
  });

  it('throttles the stage, writes JSON access logs, and never logs request bodies', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ],
    });
  });

  it("answers API Gateway's own rejections in the contract's error body", () => {
    s.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'REQUEST_TOO_LARGE',
      StatusCode: '400',
      ResponseTemplates: {
        'application/json': JSON.stringify({
          error: { code: 'INVALID_ARGUMENTS', message: 'face_image_base64' },
        }),
      },
    });
    s.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '503',
    });
    const [, fiveXx] = resources(s.json, 'AWS::ApiGateway::GatewayResponse').find(
      ([, r]) => r.Properties.ResponseType === 'DEFAULT_5XX',
    )!;
    // A timeout stays a 504 and a bad integration a 502; only the body takes the contract's shape.
    expect(fiveXx.Properties.StatusCode).toBeUndefined();
    expect(JSON.parse(fiveXx.Properties.ResponseTemplates['application/json']).error.code).toBe(
      'INTERNAL_ERROR',
    );
  });

  it('names the type of every other gateway rejection as its code, keeping its status', () => {
    const [, fourXx] = resources(s.json, 'AWS::ApiGateway::GatewayResponse').find(
      ([, r]) => r.Properties.ResponseType === 'DEFAULT_4XX',
    )!;
    expect(fourXx.Properties.StatusCode).toBeUndefined();
    // API Gateway fills in e.g. INVALID_API_KEY or MISSING_AUTHENTICATION_TOKEN, and its own message.
    expect(fourXx.Properties.ResponseTemplates['application/json']).toBe(
      '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}',
    );
  });

  it('returns images as binary', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['image/*'] });
  });

  it('has no usage plan or API key in IAM mode', () => {
    s.template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    s.template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
  });
});

describe('alarms', () => {
  it('watches errors, throttles and p99 latency of every function, and the API, through one topic', () => {
    const alarms = resources(s.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const topicId = logicalId(s.json, 'AWS::SNS::Topic', 'AlarmsTopic');
    for (const name of Object.keys(FUNCTIONS)) {
      const mine = alarms.filter((a) => a.Dimensions?.[0]?.Value?.Ref === fnId(name));
      expect(mine.map((a) => a.MetricName).sort()).toEqual(['Duration', 'Errors', 'Throttles']);
      const latency = mine.find((a) => a.MetricName === 'Duration');
      expect(latency.ExtendedStatistic).toBe('p99');
      expect(latency.Threshold).toBeLessThan(
        FUNCTIONS[name as keyof typeof FUNCTIONS].timeout.toMilliseconds(),
      );
    }
    expect(alarms.map((a) => a.MetricName)).toEqual(expect.arrayContaining(['5XXError', 'Latency']));
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
  });
});

describe('console with IAM authorization (the default)', () => {
  it('is not deployed: a browser cannot sign IAM calls, so it would get 403 on every one', () => {
    s.template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    s.template.resourceCountIs('Custom::CDKBucketDeployment', 0);
    expect(s.json.Outputs.ConsoleUrl).toBeUndefined();
  });

  it('opens no CORS door: no preflight, no allow-origin on gateway errors or in the functions', () => {
    const options = resources(s.json, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod === 'OPTIONS',
    );
    expect(options).toEqual([]);
    for (const [, r] of resources(s.json, 'AWS::ApiGateway::GatewayResponse')) {
      expect(r.Properties.ResponseParameters).toBeUndefined();
    }
    for (const name of Object.keys(FUNCTIONS)) {
      expect(s.json.Resources[fnId(name)].Properties.Environment.Variables.CORS_ORIGINS).toBeUndefined();
    }
  });
});

describe('outputs', () => {
  it('names the API, the search URL, the table and the bucket', () => {
    expect(Object.keys(s.json.Outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'SearchUrl', 'EventsTable', 'ImageBucket']),
    );
  });
});
