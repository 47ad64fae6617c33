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
  expect(map.Catch[0].Next).toBe('MarkFailed');
  const task = map.ItemProcessor.States.ScanPiece;
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

test('only the jobs function may start, count and stop its executions', () => {
  const sm = logicalId(s.json, 'AWS::StepFunctions::StateMachine', 'SearchJobsStateMachine');
  const roles = resources(s.json, 'AWS::IAM::Role').map(([id]) => id);
  const holders = roles.filter((r) =>
    statementsOfRole(s.json, r).some((st: Cfn) =>
      asArray(st.Action).some((a: string) => ['states:StartExecution', 'states:StopExecution'].includes(a)),
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
