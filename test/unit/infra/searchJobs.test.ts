import { PIECE } from '../../../infra/constructs/searchJobs';
import {
  asArray,
  type Cfn,
  cleanUp,
  logicalId,
  resources,
  statementsOfRole,
  synth,
  type Synth,
} from './synth';

/** The search jobs' state machine and who may drive it (infra/constructs/searchJobs.ts). */
let s: Synth;
beforeAll(() => {
  s = synth({ jobConcurrency: '5' });
});
afterAll(() => cleanUp(s));

function definition(): Cfn {
  const [[, sm]] = resources(s.json, 'AWS::StepFunctions::StateMachine');
  const parts = sm.Properties.DefinitionString['Fn::Join'][1] as Cfn[];
  // The piece function's ARN is a token inside a JSON string: a placeholder stands in for it.
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'ARN')).join(''));
}

test('the map runs the pieces at the configured concurrency, tolerates no failure and retries with backoff', () => {
  const def = definition();
  expect(def.TimeoutSeconds).toBe(7200);
  const map = def.States.Pieces;
  expect(map.Type).toBe('Map');
  expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
  expect(map.MaxConcurrency).toBe(5);
  // Absent means 0 in the States language: the first piece out of attempts fails the map.
  expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
  expect(map.ToleratedFailureCount).toBeUndefined();
  expect(map.ItemsPath).toBe('$.items');
  // Any failure of the map (a piece out of attempts) marks the job failed through the piece function.
  expect(map.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'MarkFailed' })]);
  expect(def.States.MarkFailed).toMatchObject({
    Resource: 'ARN',
    Parameters: { 'jobId.$': '$.jobId', failed: true },
    Next: 'JobFailed',
  });
  expect(def.States.JobFailed.Type).toBe('Fail');
  const task = map.ItemProcessor.States.ScanPiece;
  // The piece function's own ARN: its answer is the task's output, as pieceHandler.ts returns it.
  expect(task.Resource).toBe('ARN');
  expect(task.Retry).toEqual([
    expect.objectContaining({
      ErrorEquals: expect.arrayContaining([
        'Lambda.ServiceException',
        'Lambda.TooManyRequestsException',
        'States.TaskFailed',
      ]),
      IntervalSeconds: 2,
      BackoffRate: 2,
      MaxAttempts: 2,
    }),
  ]);
});

test('a piece is bounded by its function timeout, under the job timeout even after every attempt', () => {
  const piece = s.json.Resources[logicalId(s.json, 'AWS::Lambda::Function', 'SearchJobsPiece')].Properties;
  expect(piece.Timeout).toBe(PIECE.timeout.toSeconds());
  expect(piece.MemorySize).toBe(PIECE.memoryMb);
  // No face model: a piece scores stored embeddings against the job's query embedding.
  expect(piece.Layers).toBeUndefined();
  const task = definition().States.Pieces.ItemProcessor.States.ScanPiece;
  const attempts = task.Retry[0].MaxAttempts + 1;
  const backoff = Array.from({ length: attempts - 1 }, (_, i) => 2 * 2 ** i).reduce((a, b) => a + b, 0);
  expect(attempts * piece.Timeout + backoff).toBeLessThan(definition().TimeoutSeconds);
  // Alarmed like the other functions: errors, throttles, p99 duration below the timeout.
  const alarms = resources(s.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const id = logicalId(s.json, 'AWS::Lambda::Function', 'SearchJobsPiece');
  const mine = alarms.filter((a) => a.Dimensions?.[0]?.Value?.Ref === id);
  expect(mine.map((a) => a.MetricName).sort()).toEqual(['Duration', 'Errors', 'Throttles']);
  expect(mine.find((a) => a.MetricName === 'Duration').Threshold).toBeLessThan(piece.Timeout * 1000);
});

test('the state machine may invoke the piece function and nothing else, and logs no execution data', () => {
  const smRole = logicalId(s.json, 'AWS::IAM::Role', 'SearchJobsStateMachineRole');
  const piece = logicalId(s.json, 'AWS::Lambda::Function', 'SearchJobsPiece');
  const st = statementsOfRole(s.json, smRole);
  const invokes = st.filter((x: Cfn) => asArray(x.Action).some((a: string) => a.startsWith('lambda:')));
  expect(invokes).toEqual([
    expect.objectContaining({
      Action: 'lambda:InvokeFunction',
      Resource: [
        { 'Fn::GetAtt': [piece, 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [piece, 'Arn'] }, ':*']] },
      ],
    }),
  ]);
  // No data: the store is the piece function's, never the state machine's.
  const actions = st.flatMap((x: Cfn) => asArray(x.Action) as string[]);
  for (const a of actions) expect(a).toMatch(/^(lambda|logs|xray|states):/);
  // Its states: actions name its own executions only (the map's child executions).
  for (const x of st.filter((y: Cfn) => asArray(y.Action).some((a: string) => a.startsWith('states:')))) {
    expect(JSON.stringify(x.Resource)).toContain('SearchJobsStateMachine');
  }
  const [[, sm]] = resources(s.json, 'AWS::StepFunctions::StateMachine');
  expect(sm.Properties.LoggingConfiguration.IncludeExecutionData).toBe(false);
});

test('jobs and their results expire together: the jobs function TTL and the jobs/ lifecycle rule', () => {
  const jobs = s.json.Resources[logicalId(s.json, 'AWS::Lambda::Function', 'FunctionsJobs')].Properties;
  const bucket = s.json.Resources[logicalId(s.json, 'AWS::S3::Bucket', 'StorageImages')].Properties;
  const rule = (bucket.LifecycleConfiguration.Rules as Cfn[]).find((r) => r.Prefix === 'jobs/');
  expect(rule).toMatchObject({ Status: 'Enabled' });
  expect(Number(jobs.Environment.Variables.JOB_TTL_HOURS)).toBe(rule.ExpirationInDays * 24);
  // A job's admission slot whose release is lost frees itself once its execution has surely ended.
  expect(Number(jobs.Environment.Variables.JOB_SLOT_LEASE_SECONDS)).toBeGreaterThan(
    definition().TimeoutSeconds,
  );
  expect(jobs.Environment.Variables.JOB_STATE_MACHINE_ARN).toEqual({
    Ref: logicalId(s.json, 'AWS::StepFunctions::StateMachine', 'SearchJobsStateMachine'),
  });
});

test('only the jobs function may start, describe and stop its executions', () => {
  const sm = logicalId(s.json, 'AWS::StepFunctions::StateMachine', 'SearchJobsStateMachine');
  const roles = resources(s.json, 'AWS::IAM::Role').map(([id]) => id);
  const holders = roles.filter((r) =>
    statementsOfRole(s.json, r).some((st: Cfn) =>
      asArray(st.Action).some((a: string) =>
        ['states:StartExecution', 'states:StopExecution', 'states:DescribeExecution'].includes(a),
      ),
    ),
  );
  const jobsRole = logicalId(s.json, 'AWS::IAM::Role', 'FunctionsJobsRole');
  const smRole = logicalId(s.json, 'AWS::IAM::Role', 'SearchJobsStateMachineRole');
  // The state machine itself starts its map's child executions.
  expect(holders.sort()).toEqual([jobsRole, smRole].sort());
  const start = statementsOfRole(s.json, jobsRole).find((st: Cfn) =>
    asArray(st.Action).includes('states:StartExecution'),
  );
  expect(start.Resource).toEqual({ Ref: sm });
  // Start: this state machine; describe and stop: its executions, by its name; nothing else.
  const mine = statementsOfRole(s.json, jobsRole).filter((st: Cfn) =>
    asArray(st.Action).some((a: string) => a.startsWith('states:')),
  );
  expect(mine).toHaveLength(2);
  // No ListExecutions: running jobs are counted by their admission slots in the table.
  expect(asArray(start.Action)).toEqual(['states:StartExecution']);
  const stop = mine.find((st: Cfn) => st !== start);
  expect(asArray(stop.Action).sort()).toEqual(['states:DescribeExecution', 'states:StopExecution']);
  const arn = JSON.stringify(stop.Resource);
  expect(arn).toContain(':execution:');
  expect(arn).toContain(JSON.stringify({ 'Fn::GetAtt': [sm, 'Name'] }));
  expect(arn).toMatch(/":\*"\]\]\}$/);
});

test('the piece role holds exactly the jobPiece rows', () => {
  const role = logicalId(s.json, 'AWS::IAM::Role', 'SearchJobsPieceRole');
  const actions = statementsOfRole(s.json, role)
    .flatMap((st: Cfn) => asArray(st.Action))
    .sort();
  expect([...new Set(actions)]).toEqual(
    [
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      's3:GetObject',
      's3:PutObject',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey*',
      'kms:ReEncrypt*',
    ]
      .filter((a) => actions.includes(a) || !a.startsWith('kms:'))
      .sort(),
  );
  expect(actions).not.toContain('dynamodb:DeleteItem');
  expect(actions).not.toContain('s3:DeleteObject');
});
