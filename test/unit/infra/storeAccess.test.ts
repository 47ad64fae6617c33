/**
 * Each function's role against the calls its code makes: the store code of each use runs against
 * dynalite and s3rver, every SDK call is recorded as the IAM access it needs, and the synthesized role
 * of the function that runs that code must allow each one. For reconcile, erase (the images function)
 * and the compactor, whose scenarios below reach every branch, every grant must also be used: a role
 * allows exactly what the code calls. A call added to the store without its row in
 * infra/constructs/storeAccess.ts fails here (the scheduled reconcile once lacked Query and UpdateItem
 * on INTENT#, and ingest, search and the images function lacked their INTENT#, HV# and LEASE# rows).
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withSearchSlot } from '../../../functions/core/lease';
import { scanHistory } from '../../../functions/core/scan';
import { BUCKET_MS } from '../../../functions/core/timeWindow';
import { createCompactor } from '../../../functions/history/services';
import { runPiece } from '../../../functions/jobs/pieceHandler';
import { cancelSearchJob, createSearchJob, readSearchJob } from '../../../functions/jobs/searchJobs';
import { createJobStore } from '../../../functions/jobs/services';
import { JobSlots } from '../../../functions/jobs/jobSlots';
import { StepFunctionsJobRunner } from '../../../functions/jobs/stepFunctionsRunner';
import type { FaceEngine, QueryFace } from '../../../functions/core/face';
import { ensureTable, startStandIns, type StandIns } from '../../../functions/local/standIns';
import { loadConfig } from '../../../functions/shared/config';
import { eraseEvent } from '../../../functions/erase/eraseEvent';
import { intentKey } from '../../../functions/store/keys';
import { reconcile } from '../../../functions/reconcile/reconcile';
import { createServices, type Services } from '../../../functions/store/services';
import { randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { type Access, allows, grantsOfRole, recordAccesses, type Grant } from './roleGrants';
import { asArray, type Cfn, cleanUp, logicalId, statementsOfRole, synth, type Synth } from './synth';

const HOUR = Date.UTC(2025, 5, 1, 8) / BUCKET_MS; // settled, well in the past
const at = (minute: number) => HOUR * BUCKET_MS + minute * 60_000;
const face = randomUnit();
const event = (id: string, minute: number) =>
  syntheticEvent(
    at(minute),
    'cam-1',
    face,
    { recognize_face_image_id: `${id}.face`, spot_image_id: `${id}.scene` },
    id,
  );

let s: Synth;
let dir: string;
let standIns: StandIns;
let services: Services;
let recorder: ReturnType<typeof recordAccesses>;

beforeAll(async () => {
  s = synth();
  dir = mkdtempSync(join(tmpdir(), 'sfs-access-'));
  const base = loadConfig({});
  standIns = await startStandIns(dir, base.IMAGE_BUCKET);
  const c = loadConfig({
    DYNAMODB_ENDPOINT: standIns.dynamodbEndpoint,
    S3_ENDPOINT: standIns.s3Endpoint,
    RETENTION_DAYS: '36500',
    EMBEDDING_CACHE_MB: '0',
  });
  services = createServices(c, { localCredentials: true });
  await ensureTable(services.clients.dynamo, c.EVENTS_TABLE);
  recorder = recordAccesses(services.clients, c.EVENTS_TABLE);
}, 120_000);

afterAll(async () => {
  services?.clients.dynamo.destroy();
  services?.clients.s3.destroy();
  await standIns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  cleanUp(s);
});

/** The accesses `fn` makes. */
async function accessesDuring(fn: () => Promise<unknown>): Promise<Access[]> {
  recorder.seen.length = 0;
  recorder.on = true;
  try {
    await fn();
  } finally {
    recorder.on = false;
  }
  return [...recorder.seen];
}

const grantsOf = (fn: string): Grant[] =>
  grantsOfRole(s.json, logicalId(s.json, 'AWS::IAM::Role', `${fn}Role`), {
    table: logicalId(s.json, 'AWS::DynamoDB::Table', 'StorageEvents'),
    bucket: logicalId(s.json, 'AWS::S3::Bucket', 'StorageImages'),
  });

const show = (xs: Array<Access | Grant>) =>
  [...new Set(xs.map((x) => `${x.action} ${'key' in x ? x.key : x.pattern}`))].sort();

/** Every access allowed by the role; with `exact`, every grant of the role used by some access. */
function expectRoleFits(fn: string, accesses: Access[], exact: boolean): void {
  const grants = grantsOf(fn);
  expect(accesses.length).toBeGreaterThan(0);
  expect(show(accesses.filter((a) => !allows(grants, a)))).toEqual([]);
  if (exact) expect(show(grants.filter((g) => !accesses.some((a) => allows([g], a))))).toEqual([]);
}

const photo = Buffer.from('not really a jpeg');

describe('each role allows what its code calls', () => {
  it('ingest: intent, hour entry, record, pointer; images stored, undone; the upload read', async () => {
    const accesses = await accessesDuring(async () => {
      const e = event('ing-1', 1);
      await services.images.put('ing-1.face', photo, 'image/jpeg', {
        eventTimestampMs: e.timestampMs,
        retentionDays: 45,
      });
      await services.events.putEvent(e);
      await services.events.putEvent({ ...e, timestampMs: at(2) }); // a retry: a duplicate
      await services.images.readObject(
        services.config.IMAGE_BUCKET,
        `${services.config.UPLOAD_PREFIX}x.jpg`,
        1e6,
      );
      await services.images.delete(['ing-2.face']); // a failed ingest's undo
    });
    expectRoleFits('FunctionsIngest', accesses, false);
    expectRoleFits('FunctionsIngestS3', accesses, false);
  });

  it('erase (the images function): the erasure list, then the event, its images and its intent; an image served', async () => {
    await services.images.put('del-1.face', photo, 'image/jpeg');
    await services.events.putEvent(event('del-1', 3));
    const accesses = await accessesDuring(async () => {
      await services.images.get('del-1.face');
      await services.erasures.record('del-1');
      expect(await eraseEvent(services, 'del-1')).toBeDefined();
    });
    expectRoleFits('FunctionsImages', accesses, true);
  });

  it('reconcile: the erasure list, intents, orphan images and records, pointers without records', async () => {
    const { events, images, erasures, clients, config } = services;
    // A: an ingest that stopped after its record, before its pointer: its intent and record.
    const a = event('rec-a', 4);
    await events.putMany([a], { pointers: false });
    const { pk, sk } = intentKey('rec-a');
    await clients.dynamo.send(
      new PutItemCommand({
        TableName: config.EVENTS_TABLE,
        Item: { pk: { S: pk }, sk: { S: sk }, ts: { N: String(a.timestampMs) }, touchedAt: { N: '0' } },
      }),
    );
    // B: an ingest of an older release: a record and images, no pointer, no intent.
    const b = event('rec-b', 5);
    await events.putMany([b], { pointers: false });
    await images.put('rec-b.face', photo, 'image/jpeg', { eventTimestampMs: b.timestampMs });
    // C: a DELETE that stopped right after its erasure marker.
    await events.putEvent(event('rec-c', 6));
    await erasures.record('rec-c');
    // D: an erasure that stopped after the record: the pointer and images remain.
    const d = event('rec-d', 7);
    await events.putEvent(d);
    await images.put('rec-d.face', photo, 'image/jpeg', { eventTimestampMs: d.timestampMs });
    await events.deleteRecord(d);

    let report: Awaited<ReturnType<typeof reconcile>> | undefined;
    const accesses = await accessesDuring(async () => {
      report = await reconcile(services, { now: () => Date.now() + 2 * 3_600_000 });
    });
    expect(report).toMatchObject({
      intentsErased: 1,
      orphanRecordsRemoved: 1,
      listedErasuresFinished: 1,
      erasuresFinished: 1,
    });
    expectRoleFits('Reconcile', accesses, true);
  });

  it('compact: hour versions and partitions read, segments listed, written and the stale one removed', async () => {
    await services.events.putMany([event('cmp-1', 10)]);
    const compactor = createCompactor(services.config, services.clients);
    const first = await accessesDuring(() => compactor.run({ first: HOUR, last: HOUR }));
    await services.events.putMany([event('cmp-2', 11)]); // the hour changes: its segment is stale
    const second = await accessesDuring(() => compactor.run({ first: HOUR, last: HOUR }));
    expectRoleFits('Compactor', [...first, ...second], true);
  });

  it('search: its slot, the hour directory, the hours (segments or items) and the matches', async () => {
    const accesses = await accessesDuring(() =>
      withSearchSlot(services.slots, () =>
        scanHistory(services.history.records({ range: { fromMs: at(0), toMs: at(60) - 1 }, reverse: true }), {
          query: face,
          minCosine: 0.8,
        }),
      ),
    );
    expectRoleFits('FunctionsSearch', accesses, false);
  });

  it('search jobs: the jobs routes plan, create, read and cancel; a piece reads the job, scans, stores, ends it', async () => {
    await services.events.putMany([event('job-1', 20), event('job-2', 21)]);
    // Packed into its segment: a piece reads the hour as the search does (hour version, then segment).
    await createCompactor(services.config, services.clients).run({ first: HOUR, last: HOUR });
    const jobs = createJobStore(services.config, services.clients);
    // The Step Functions calls, answered at the SDK's boundary (no stand-in): recorded for the role below.
    const sfnCalls: Array<{ command: string; input: Record<string, unknown> }> = [];
    const sfn = new SFNClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    sfn.middlewareStack.add(
      () => async (args) => {
        sfnCalls.push({
          command: (args as { commandName?: string }).commandName ?? '',
          input: args.input as never,
        });
        return { output: { $metadata: {}, executions: [] } as never, response: {} };
      },
      { step: 'initialize', name: 'answerStepFunctions' },
    );
    sfn.middlewareStack.add(
      (next, context) => async (args) => next({ ...args, commandName: context.commandName } as never),
      { step: 'initialize', name: 'nameCommand', priority: 'high' },
    );
    // Admission: the slots in the table, as the jobs Lambda composes them (faceLambda.ts).
    const slots = new JobSlots(services.clients.dynamo, {
      table: services.config.EVENTS_TABLE,
      leaseSeconds: services.config.JOB_SLOT_LEASE_SECONDS,
    });
    const runner = new StepFunctionsJobRunner(sfn, STATE_MACHINE_ARN, slots);
    // The query's face: a stand-in engine (this test is about the store and the roles, not the models).
    const engine = {
      analyzeQuery: () => Promise.resolve({ embedding: face, quality: {} } as unknown as QueryFace),
    } as unknown as FaceEngine;
    const deps = { services, engine: () => engine, jobs, runner };
    const body = {
      face_image_base64: photo.toString('base64'),
      starttime: at(0) / 1000,
      endtime: at(59) / 1000,
      fiqa_level: 'no',
    };

    let jobId = '';
    const routes = await accessesDuring(async () => {
      jobId = (await createSearchJob(body, deps)).job_id;
    });
    const job = (await jobs.get(jobId))!;
    expect(job.pieces.length).toBeGreaterThan(0);
    const piece = await accessesDuring(async () => {
      for (const p of job.pieces) await runPiece({ jobId, piece: p }, jobs, services.history, slots);
    });
    expect((await jobs.get(jobId))!.state).toBe('done');
    // The map's Catch on another job: the piece function marks it failed.
    const failing = (await createSearchJob(body, deps)).job_id;
    piece.push(
      ...(await accessesDuring(() =>
        runPiece({ jobId: failing, failed: true }, jobs, services.history, slots),
      )),
    );
    routes.push(
      ...(await accessesDuring(async () => {
        const page = await readSearchJob(jobId, undefined, deps);
        expect(page.events.length).toBeGreaterThanOrEqual(2); // the hour's other events share the face
        const other = (await createSearchJob(body, deps)).job_id;
        // Running: its GET describes its execution.
        expect((await readSearchJob(other, undefined, deps)).state).toBe('running');
        expect((await cancelSearchJob(other, deps)).state).toBe('cancelled');
      })),
    );
    expectRoleFits('FunctionsJobs', routes, false);
    // Not exact: whether an hour is read from its segment or its items is the block reader's (as for search).
    expectRoleFits('SearchJobsPiece', piece, false);

    // And each Step Functions call the runner made, against the jobs role's states: statements.
    // Every slot the jobs took was released by their ends (done, the Catch, the cancel).
    expect(await slots.count()).toBe(0);
    expect(sfnCalls.map((c) => c.command).sort()).toEqual(
      expect.arrayContaining(['DescribeExecutionCommand', 'StartExecutionCommand', 'StopExecutionCommand']),
    );
    const states = statementsOfRole(s.json, logicalId(s.json, 'AWS::IAM::Role', 'FunctionsJobsRole')).filter(
      (st: Cfn) => asArray(st.Action).some((a: string) => a.startsWith('states:')),
    );
    for (const call of sfnCalls) {
      const action = `states:${call.command.replace(/Command$/, '')}`;
      const arn = String(call.input.stateMachineArn ?? call.input.executionArn);
      const allowed = states.some(
        (st: Cfn) =>
          asArray(st.Action).includes(action) &&
          asArray(st.Resource).some((r: Cfn) => globMatch(render(r), arn)),
      );
      expect(`${action} ${arn} ${allowed ? 'allowed' : 'denied'}`).toBe(`${action} ${arn} allowed`);
    }
    sfn.destroy();
  });
});

/** A state machine ARN standing in for the synthesized one (its name is what the role's patterns use). */
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:SearchJobsStateMachine-abc';

/** A role's resource with the template's references resolved as for STATE_MACHINE_ARN. */
function render(v: Cfn): string {
  if (typeof v === 'string') return v;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as Cfn[]).map(render).join(v['Fn::Join'][0] as string);
  const ref = v.Ref as string | undefined;
  if (ref === 'AWS::Partition') return 'aws';
  if (ref === 'AWS::Region') return 'us-east-1';
  if (ref === 'AWS::AccountId') return '123456789012';
  const sm = logicalId(s.json, 'AWS::StepFunctions::StateMachine', 'SearchJobsStateMachine');
  if (ref === sm) return STATE_MACHINE_ARN;
  if (v['Fn::GetAtt']?.[0] === sm && v['Fn::GetAtt'][1] === 'Name') return STATE_MACHINE_ARN.split(':')[6];
  throw new Error(`cannot resolve ${JSON.stringify(v)}`);
}

const globMatch = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(arn);
