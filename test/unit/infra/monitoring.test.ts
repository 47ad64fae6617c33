import { METRICS } from '../../../functions/observability/metricNames';
import { STORE_ACCESS } from '../../../infra/constructs/storeAccess';
import { allows, grantsOfRole } from './roleGrants';
import {
  asArray,
  cleanUp,
  logicalId,
  resources,
  stackFunctions,
  statementsOfRole,
  synth,
  type Cfn,
  type Synth,
} from './synth';

let s: Synth;
beforeAll(() => {
  s = synth();
});
afterAll(() => cleanUp(s));

const NAMESPACE = 'Sophon/SophonFaceSearch';
const tableId = () => logicalId(s.json, 'AWS::DynamoDB::Table', 'StorageEvents');
const bucketId = () => logicalId(s.json, 'AWS::S3::Bucket', 'StorageImages');
const reconcileId = () => logicalId(s.json, 'AWS::Lambda::Function', 'ReconcileFunction');
/** A CloudFormation value with its references flattened to text (for bodies built with Fn::Join). */
const text = (v: Cfn) => JSON.stringify(v);

describe('embedded metrics', () => {
  it('gives every function the stack namespace, and no role cloudwatch:PutMetricData (EMF goes through logs)', () => {
    const fns = stackFunctions(s.json);
    // The six of FaceFunctions (the S3 ingest among them), the job piece, the compactor, the reconcile.
    expect(fns).toHaveLength(9);
    for (const { fn } of fns) {
      expect(fn.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(NAMESPACE);
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const statements = statementsOfRole(s.json, roleId);
      const actions = statements.flatMap((st: Cfn) => asArray(st.Action));
      expect(actions).not.toContain('cloudwatch:PutMetricData');
      // What EMF does need: writing its own log group.
      const logs = statements.find((st: Cfn) => asArray(st.Action).includes('logs:PutLogEvents'));
      expect(text(logs.Resource)).toContain(fn.Properties.LoggingConfig.LogGroup.Ref);
    }
  });
});

describe('dashboard', () => {
  it('shows search latency percentiles, records, errors, throttles, Lambda, DynamoDB and API health', () => {
    const dashboards = resources(s.json, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = text(dashboards[0][1].Properties.DashboardBody);
    for (const title of [
      'Search latency (total_time)',
      'Search: face and scan time',
      'Records per search',
      'Requests, refusals (429), cold starts',
      'Error rates (% of requests)',
      'Errors by contract code',
      'Lambda duration p99',
      'Lambda concurrency (max)',
      'Lambda errors and throttles',
      'DynamoDB consumed capacity',
      'DynamoDB throttles',
      'API Gateway',
      'Ingest: events stored and rejected',
      'Reconcile (daily)',
    ])
      expect(body).toContain(`"title\\":\\"${title}\\"`);
    for (const name of [
      METRICS.searchTime,
      METRICS.faceTime,
      METRICS.scanTime,
      METRICS.recordsExamined,
      METRICS.matches,
      METRICS.refused,
      METRICS.eventsIngested,
      METRICS.orphanImagesRemoved,
      'ConcurrentExecutions',
      'ConsumedReadCapacityUnits',
      'WriteThrottleEvents',
    ])
      expect(body).toContain(`\\"${name}\\"`);
    for (const p of ['p50', 'p95', 'p99']) expect(body).toContain(`\\"stat\\":\\"${p}\\"`);
    expect(body).toContain(NAMESPACE);
  });
});

describe('alarms on the new signals', () => {
  it('pages on answered 5xx, refused searches, DynamoDB throttling and a failed reconcile', () => {
    const topicId = logicalId(s.json, 'AWS::SNS::Topic', 'AlarmsTopic');
    const alarms = resources(s.json, 'AWS::CloudWatch::Alarm').filter(([id]) => id.startsWith('Monitoring'));
    const byId = (prefix: string) => alarms.find(([id]) => id.startsWith(prefix))?.[1].Properties;
    for (const fn of ['Search', 'Detect', 'Ingest', 'Images']) {
      const a = byId(`Monitoring${fn}ServerErrors`);
      expect(a).toMatchObject({ MetricName: METRICS.serverErrors, Namespace: NAMESPACE, Threshold: 5 });
    }
    const refusals = byId('MonitoringSearchRefusals');
    expect(text(refusals.Metrics)).toContain(METRICS.refused);
    expect(refusals.EvaluationPeriods).toBe(3);
    expect(text(byId('MonitoringTableThrottles').Metrics)).toContain(tableId());
    expect(byId('MonitoringReconcileFailed')).toMatchObject({ MetricName: METRICS.reconcileFailures });
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });
});

describe('scheduled reconcile', () => {
  it('runs daily from an EventBridge rule', () => {
    const rules = resources(s.json, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes(reconcileId()),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0][1].Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 day)');
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [reconcileId(), 'Arn'] });
    const perms = resources(s.json, 'AWS::Lambda::Permission').map(([, p]) => p.Properties);
    expect(perms).toContainEqual(
      expect.objectContaining({
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [reconcileId(), 'Arn'] },
      }),
    );
  });

  it("has the store's reconcile rows and nothing more: what reconcile calls on the intents included", () => {
    const fn = s.json.Resources[reconcileId()].Properties;
    expect(fn.Layers).toBeUndefined();
    const roleId = fn.Role['Fn::GetAtt'][0];
    expect(s.json.Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    const grants = grantsOfRole(s.json, roleId, { table: tableId(), bucket: bucketId() });
    const rows = STORE_ACCESS.reconcile.flatMap((r) =>
      r.on === 'table'
        ? r.actions.flatMap((action) => r.partitions.map((pattern) => ({ action, pattern })))
        : r.on === 'objects'
          ? r.actions.flatMap((action) => r.keys.map((pattern) => ({ action, pattern })))
          : r.prefixes.map((pattern) => ({ action: 's3:ListBucket', pattern })),
    );
    expect(grants).toEqual(rows);
    // The gap this role once had (test/unit/infra/storeAccess.test.ts checks every call reconcile makes).
    for (const action of ['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'])
      expect(allows(grants, { action, key: 'INTENT#3' })).toBe(true);
    // Nothing beyond the store's prefixes: no upload, no segment, no lease, no write of an event.
    expect(allows(grants, { action: 'dynamodb:PutItem', key: 'EV#2025060108#0' })).toBe(false);
    expect(allows(grants, { action: 's3:GetObject', key: 'incoming/x.jpg' })).toBe(false);
    expect(allows(grants, { action: 'dynamodb:DeleteItem', key: 'LEASE#search' })).toBe(false);
  });
});
