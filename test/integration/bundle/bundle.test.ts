import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../../infra/app';
import { layerAssetDir } from '../../../infra/constructs/modelLayer';
import { ensureTable, startStandIns, type StandIns } from '../../../functions/local/standIns';
import { LOCAL_CREDENTIALS } from '../../../functions/store/clients';
import type { Cfn } from '../../unit/infra/synth';
import { StepFunctionsDriver } from './stepFunctionsDriver';

/**
 * The deployable artefacts, run as deployed: the app is synthesized with real NodejsFunction (esbuild)
 * bundling, each bundle from the cloud assembly is loaded in its own Node process with the layer's
 * node_modules on NODE_PATH and the layer's models as MODEL_DIR, and invoked with API Gateway REST
 * proxy events (and an S3 notification) against dynalite and s3rver. Nothing here imports functions/
 * source: only the stand-ins and the store's local credentials come from the repo.
 */

const ROOT = resolve(__dirname, '../../..');
const ARCH = process.arch === 'arm64' ? 'arm64' : 'x64';
const LAYER = layerAssetDir(ARCH);
const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;
const TABLE = 'bundle-test-events';
const BUCKET = 'bundle-test-images';
const PHOTO = readFileSync(join(ROOT, 'build/fixtures/photos/sample1.jpg'));
const OTHER_PHOTO = readFileSync(join(ROOT, 'build/fixtures/photos/sample4.jpg'));

interface Deployed {
  logicalId: string;
  assetDir: string;
  environment: Record<string, unknown>;
  /** Variables set over the stand-ins' (a test's own twist on the deployed environment). */
  overrides?: Record<string, string>;
}

let outdir: string;
let dataDir: string;
let standIns: StandIns;
let functions: Record<
  'search' | 'detect' | 'ingest' | 'ingestS3' | 'images' | 'compactor' | 'reconcile' | 'jobs' | 'jobPiece',
  Deployed
>;
/** The jobs' state machine, played from its synthesized definition (no Step Functions stand-in here). */
let stepFunctions: StepFunctionsDriver;
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:bundle-test-jobs';
const runtimes = new Map<string, ChildProcess>();
/** Each runtime's stdout lines (log lines and embedded-metric records, as CloudWatch Logs gets them). */
const stdout = new Map<string, string[]>();

function dirSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

/** The synthesized function whose logical id starts with `prefix`, with its asset folder in the assembly. */
function deployed(template: Record<string, Cfn>, prefix: string): Deployed {
  const [logicalId, r] = Object.entries(template.Resources as Record<string, Cfn>).find(
    ([id, res]) => res.Type === 'AWS::Lambda::Function' && new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id),
  )!;
  return {
    logicalId,
    assetDir: join(outdir, r.Metadata['aws:asset:path']),
    environment: r.Properties.Environment.Variables,
  };
}

/** The function's environment from the template, with CloudFormation references resolved to the stand-ins. */
function runtimeEnv(fn: Deployed): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(fn.environment)) if (typeof v === 'string') env[k] = v;
  return {
    PATH: process.env.PATH,
    ...env,
    EVENTS_TABLE: TABLE,
    IMAGE_BUCKET: BUCKET,
    // What Lambda does with the layer: /opt/models, and /opt/nodejs/node_modules on NODE_PATH.
    MODEL_DIR: env.MODEL_DIR === '/opt/models' ? join(LAYER, 'models') : env.MODEL_DIR,
    NODE_PATH: join(LAYER, 'nodejs/node_modules'),
    DYNAMODB_ENDPOINT: standIns.dynamodbEndpoint,
    S3_ENDPOINT: standIns.s3Endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    ...fn.overrides,
  };
}

let nextId = 0;
async function runtime(fn: Deployed): Promise<ChildProcess> {
  let child = runtimes.get(fn.logicalId);
  if (child) return child;
  child = fork(join(__dirname, 'lambdaRuntime.js'), [], {
    cwd: fn.assetDir,
    env: { ...runtimeEnv(fn), BUNDLE_ENTRY: join(fn.assetDir, 'index.js') },
    execArgv: [],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  runtimes.set(fn.logicalId, child);
  const lines: string[] = [];
  stdout.set(fn.logicalId, lines);
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  await new Promise<void>((ok, fail) => {
    child!.once('message', () => ok());
    child!.once('exit', (code) => fail(new Error(`${fn.logicalId} runtime exited with ${code}`)));
  });
  return child;
}

function send<T>(fn: Deployed, msg: Record<string, unknown>): Promise<T> {
  return runtime(fn).then(
    (child) =>
      new Promise<T>((ok, fail) => {
        const id = ++nextId;
        const onMessage = (m: { id?: number; result?: T; error?: { name: string; message: string } }) => {
          if (m.id !== id) return;
          child.off('message', onMessage);
          if (m.error) fail(Object.assign(new Error(m.error.message), { name: m.error.name }));
          else ok(m.result as T);
        };
        child.on('message', onMessage);
        child.send({ id, ...msg });
      }),
  );
}

interface ProxyResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

/** An API Gateway REST proxy event as API Gateway sends it (stage v1, IAM-authorized caller). */
function apiEvent(
  method: string,
  path: string,
  resource: string,
  opts: { body?: unknown; contentType?: string; pathParameters?: Record<string, string> } = {},
) {
  const body =
    opts.body === undefined ? null : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = {
    Accept: '*/*',
    Host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'bundle-test',
    'X-Amzn-Trace-Id': 'Root=1-00000000-000000000000000000000000',
    'X-Forwarded-For': '203.0.113.7',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };
  if (opts.contentType) headers['Content-Type'] = opts.contentType;
  const now = Date.now();
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: opts.pathParameters ?? null,
    stageVariables: null,
    requestContext: {
      resourceId: 'abc123',
      resourcePath: resource,
      httpMethod: method,
      extendedRequestId: `ext-${now}`,
      requestTime: new Date(now).toUTCString(),
      path: `/v1${path}`,
      accountId: '123456789012',
      protocol: 'HTTP/1.1',
      stage: 'v1',
      domainPrefix: 'abc123',
      requestTimeEpoch: now,
      requestId: `req-${now}-${Math.random().toString(36).slice(2)}`,
      identity: {
        accountId: '123456789012',
        caller: 'AROAEXAMPLE:operator',
        user: 'AROAEXAMPLE:operator',
        userArn: 'arn:aws:sts::123456789012:assumed-role/operator/operator',
        sourceIp: '203.0.113.7',
        userAgent: 'bundle-test',
        accessKey: 'ASIAEXAMPLE',
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        apiKey: null,
        apiKeyId: null,
        clientCert: null,
      },
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      apiId: 'abc123',
    },
    body,
    isBase64Encoded: false,
  };
}

const invoke = (fn: Deployed, event: unknown, requestId?: string) =>
  send<ProxyResult>(fn, { event, timeoutMs: 29_000, requestId });

/**
 * The JSON lines `fn` wrote from `from` on, once they satisfy `done`: a child's stdout can arrive after
 * its IPC answer (and pino's lines and the metrics' in either order), so this waits for the lines
 * rather than assuming they are there.
 */
async function outputOf(
  fn: Deployed,
  from: number,
  done: (lines: Record<string, unknown>[]) => boolean,
): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100; i++) {
    const lines = (stdout.get(fn.logicalId) ?? []).slice(from).flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    if (done(lines)) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${fn.logicalId}: no such output line; got ${stdout.get(fn.logicalId)?.slice(from).join('\n')}`,
  );
}

/** The metric names of an embedded-metric record, or [] for any other line. */
function emfNames(line: Record<string, unknown>): string[] {
  const aws = line._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined;
  return aws?.CloudWatchMetrics?.flatMap((d) => d.Metrics.map((m) => m.Name)) ?? [];
}
const bodyOf = (r: ProxyResult) => JSON.parse(r.body);
const search = (body: Record<string, unknown>) =>
  invoke(
    functions.search,
    apiEvent('POST', '/sophon/v2/face/searchbyimage', '/sophon/v2/face/searchbyimage', {
      body,
      contentType: 'application/json; charset=utf-8',
    }),
  );

beforeAll(async () => {
  if (!existsSync(join(LAYER, 'models/fr_detect.onnx'))) {
    throw new Error(`layer asset missing in ${LAYER}: run npm run build:layer -- --arch host`);
  }
  outdir = mkdtempSync(join(tmpdir(), 'sophon-bundle-out-'));
  // Asset metadata ties each function to its folder in the assembly (the CLI turns it on too).
  const app = new App({
    outdir,
    // The template's CloudFormation validation is nag.test.ts's; this file runs the bundles.
    builtinCloudFormationValidation: false,
    context: { arch: ARCH, console: 'false', 'aws:cdk:enable-asset-metadata': true },
  });
  buildApp(app);
  const assembly = app.synth();
  const template = assembly.getStackByName('SophonFaceSearch').template;
  stepFunctions = new StepFunctionsDriver(
    StepFunctionsDriver.definitionOf(template),
    STATE_MACHINE_ARN,
    (logicalId, payload) => {
      const fn = Object.values(functions).find((f) => f.logicalId === logicalId);
      if (!fn) throw new Error(`the state machine names ${logicalId}, no bundled function`);
      return send(fn, { event: payload, timeoutMs: 120_000 });
    },
  );
  const sfnEndpoint = await stepFunctions.listen();
  functions = {
    search: deployed(template, 'FunctionsSearch'),
    detect: deployed(template, 'FunctionsDetect'),
    ingest: deployed(template, 'FunctionsIngest'),
    ingestS3: deployed(template, 'FunctionsIngestS3'),
    images: deployed(template, 'FunctionsImages'),
    // Settle 0: the test's event lies in the previous hour, which may have ended under 5 minutes ago.
    compactor: { ...deployed(template, 'CompactorFunction'), overrides: { COMPACTION_SETTLE_MINUTES: '0' } },
    reconcile: deployed(template, 'ReconcileFunction'),
    // The SDK's own endpoint variable sends its Step Functions calls to the driver; one piece per hour.
    jobs: {
      ...deployed(template, 'FunctionsJobs'),
      overrides: {
        JOB_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
        AWS_ENDPOINT_URL_SFN: sfnEndpoint,
        JOB_PIECE_RECORDS: '1',
      },
    },
    jobPiece: deployed(template, 'SearchJobsPiece'),
  };
  dataDir = mkdtempSync(join(tmpdir(), 'sophon-bundle-data-'));
  standIns = await startStandIns(dataDir, BUCKET);
  const db = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: standIns.dynamodbEndpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(db, TABLE);
  db.destroy();
}, 180_000);

afterAll(async () => {
  await stepFunctions?.close();
  for (const child of runtimes.values()) child.kill();
  await standIns?.close();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('bundled Lambda entry points (esbuild output, run as deployed)', () => {
  it('each function plus the layer stays under Lambda 250 MB unzipped limit', () => {
    const layers = [LAYER, layerAssetDir('arm64')].filter((d) => existsSync(d));
    for (const fn of Object.values(functions)) {
      const bundle = dirSize(fn.assetDir);
      // The bundle is JavaScript only: native code and models come from the layer.
      expect(bundle).toBeLessThan(10 * 1024 * 1024);
      for (const layer of layers) expect(bundle + dirSize(layer)).toBeLessThan(LAMBDA_UNZIPPED_LIMIT);
    }
  });

  it('bundles no native module and no local stand-in', () => {
    for (const fn of Object.values(functions)) {
      const files = readdirSync(fn.assetDir);
      expect(files.filter((f) => f.endsWith('.node'))).toEqual([]);
      expect(files).not.toContain('node_modules');
      const code = readFileSync(join(fn.assetDir, 'index.js'), 'utf8');
      expect(code).not.toMatch(/require\("(dynalite|s3rver)"\)/);
    }
  });

  it('loads onnxruntime-node and sharp from the layer, like /opt/nodejs/node_modules', async () => {
    const where = await send<Record<string, string | null>>(functions.search, {
      type: 'resolve',
      modules: ['onnxruntime-node', 'sharp'],
    });
    expect(where['onnxruntime-node']).toContain(join(LAYER, 'nodejs/node_modules/onnxruntime-node'));
    expect(where.sharp).toContain(join(LAYER, 'nodejs/node_modules/sharp'));
  });

  const eventId = `bundle-${Date.now()}`;
  const timestamp = Date.now() / 1000 - 3600;
  let faceImageId = '';

  it('ingests an event through POST /sophon/v2/face/events', async () => {
    const r = await invoke(
      functions.ingest,
      apiEvent('POST', '/sophon/v2/face/events', '/sophon/v2/face/events', {
        contentType: 'application/json',
        body: {
          event_id: eventId,
          timestamp,
          face_image_base64: PHOTO.toString('base64'),
          media_device_info: { media_device_id: 'gate-1', media_device_type: 'photo' },
          identity_name: 'bundle test',
        },
      }),
    );
    expect(r.statusCode).toBe(201);
    expect(bodyOf(r)).toMatchObject({ event_id: eventId, status: 'created' });
  });

  it('finds that event by the same photo through POST /sophon/v2/face/searchbyimage', async () => {
    const r = await search({
      face_image_base64: PHOTO.toString('base64'),
      starttime: timestamp - 60,
      endtime: timestamp + 60,
      fiqa_level: 'no',
    });
    expect(r.statusCode).toBe(200);
    const body = bodyOf(r);
    expect(body.have_more).toBe(false);
    expect(body.events).toHaveLength(1);
    const [event] = body.events;
    expect(event.compare_score).toBeGreaterThanOrEqual(99);
    expect(event.identity_name).toBe('bundle test');
    expect(event.media_device_info.media_device_id).toBe('gate-1');
    expect(event.timestamp).toBeCloseTo(timestamp, 2);
    faceImageId = event.recognize_face_image_id;
    expect(faceImageId).not.toBe('');
  });

  it("logs a search's embedded-metric record and log lines under its Lambda request id", async () => {
    const requestId = `emf-${Date.now()}`;
    const from = stdout.get(functions.search.logicalId)?.length ?? 0;
    const r = await invoke(
      functions.search,
      apiEvent('POST', '/sophon/v2/face/searchbyimage', '/sophon/v2/face/searchbyimage', {
        body: {
          face_image_base64: PHOTO.toString('base64'),
          starttime: timestamp - 60,
          endtime: timestamp + 60,
          fiqa_level: 'no',
        },
        contentType: 'application/json',
      }),
      requestId,
    );
    expect(r.statusCode).toBe(200);
    const body = bodyOf(r);
    const lines = await outputOf(
      functions.search,
      from,
      (ls) =>
        ls.some((l) => emfNames(l).includes('SearchTime') && l.requestId === requestId) &&
        ls.some((l) => l.msg === 'request' && l.requestId === requestId),
    );
    const emf = lines.find((l) => emfNames(l).includes('SearchTime') && l.requestId === requestId)!;
    expect(emfNames(emf).sort()).toEqual(
      [
        'ClientErrors',
        'FaceTime',
        'Matches',
        'RecordsExamined',
        'RecordsRead',
        'Refused',
        'Requests',
        'ScanTime',
        'SearchTime',
        'ServerErrors',
      ].sort(),
    );
    const [directive] = (emf._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] })
      .CloudWatchMetrics;
    expect(directive.Namespace).toBe('Sophon/SophonFaceSearch');
    expect(directive.Dimensions).toEqual([['service']]);
    expect(emf).toMatchObject({
      service: 'search',
      requestId,
      Requests: 1,
      Refused: 0,
      ServerErrors: 0,
      Matches: body.events.length,
      RecordsExamined: body.records_examined,
      FaceTime: body.timings.face_ms,
      SearchTime: Math.round(body.total_time * 1000),
    });
    // Every log line carries a request id, this request's lines its own (a line of the previous
    // request may still arrive on the pipe after its answer, hence not all are this one's).
    const logs = lines.filter((l) => typeof l.msg === 'string');
    expect(logs.find((l) => l.msg === 'request' && l.requestId === requestId)).toMatchObject({ status: 200 });
    for (const l of logs) expect(l.requestId).toEqual(expect.stringMatching(/^(emf|bundle-test)-/));
  });

  it('counts a refused request by its contract code in its own record', async () => {
    const requestId = `emf-415-${Date.now()}`;
    const from = stdout.get(functions.search.logicalId)?.length ?? 0;
    const r = await invoke(
      functions.search,
      apiEvent('POST', '/sophon/v2/face/searchbyimage', '/sophon/v2/face/searchbyimage', {
        body: 'hello',
        contentType: 'text/plain',
      }),
      requestId,
    );
    expect(r.statusCode).toBe(415);
    const mine = (l: Record<string, unknown>) => l.requestId === requestId;
    const lines = await outputOf(
      functions.search,
      from,
      (ls) =>
        ls.some((l) => mine(l) && emfNames(l).includes('Errors')) &&
        ls.some((l) => mine(l) && emfNames(l).includes('Requests')),
    );
    expect(lines.find((l) => mine(l) && emfNames(l).includes('Errors'))).toMatchObject({
      service: 'search',
      code: 'UNSUPPORT_CONTENT_TYPE',
      Errors: 1,
      requestId,
    });
    expect(lines.find((l) => mine(l) && emfNames(l).includes('Requests'))).toMatchObject({ ClientErrors: 1 });
  });

  it('does not match a different person above the default threshold', async () => {
    const r = await search({
      face_image_base64: OTHER_PHOTO.toString('base64'),
      starttime: timestamp - 60,
      endtime: timestamp + 60,
      fiqa_level: 'no',
    });
    expect(r.statusCode).toBe(200);
    expect(bodyOf(r).events).toEqual([]);
  });

  it('serves the stored face crop through GET /sophon/v2/face/images/{id} as binary', async () => {
    const r = await invoke(
      functions.images,
      apiEvent('GET', `/sophon/v2/face/images/${faceImageId}`, '/sophon/v2/face/images/{id}', {
        pathParameters: { id: faceImageId },
      }),
    );
    expect(r.statusCode).toBe(200);
    expect(r.isBase64Encoded).toBe(true);
    expect(r.headers?.['Content-Type']).toBe('image/jpeg');
    const bytes = Buffer.from(r.body, 'base64');
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('answers POST /sophon/v2/face/detect with the face box and verdict, without the table', async () => {
    // Detect has no grant on the table: a call to it would fail here, where it points at a closed port.
    const detect: Deployed = {
      ...functions.detect,
      logicalId: `${functions.detect.logicalId}NoTable`,
      overrides: { DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' },
    };
    const r = await invoke(
      detect,
      apiEvent('POST', '/sophon/v2/face/detect', '/sophon/v2/face/detect', {
        body: { face_image_base64: OTHER_PHOTO.toString('base64'), fiqa_level: 'low' },
        contentType: 'application/json',
      }),
    );
    expect(r.statusCode).toBe(200);
    const body = bodyOf(r);
    expect(body.faces.length).toBeGreaterThan(1);
    expect(body.query_face.box).toEqual(body.faces[0].box);
    expect(typeof body.fiqa_passed).toBe('boolean');
  });

  it("answers a non-JSON body with the contract's 415", async () => {
    const r = await invoke(
      functions.search,
      apiEvent('POST', '/sophon/v2/face/searchbyimage', '/sophon/v2/face/searchbyimage', {
        body: 'hello',
        contentType: 'text/plain',
      }),
    );
    expect(r.statusCode).toBe(415);
    expect(bodyOf(r).error.code).toBe('UNSUPPORT_CONTENT_TYPE');
  });

  it('ingests an upload under incoming/ from its S3 notification and removes the upload', async () => {
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: standIns.s3Endpoint,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    const key = 'incoming/gate-2/capture 1.jpg';
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: PHOTO,
        ContentType: 'image/jpeg',
        Metadata: {
          'event-id': `${eventId}-s3`,
          timestamp: String(timestamp + 10),
          'media-device-id': 'gate-2',
        },
      }),
    );
    // The notification S3 sends for that object (keys are URL-encoded, spaces as '+').
    const notification = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventTime: new Date().toISOString(),
          eventName: 'ObjectCreated:Put',
          s3: {
            s3SchemaVersion: '1.0',
            configurationId: 'incoming',
            bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
            object: {
              key: 'incoming/gate-2/capture+1.jpg',
              size: PHOTO.length,
              eTag: put.ETag?.replace(/"/g, ''),
            },
          },
        },
      ],
    };
    const r = await send<{ ingested: number; rejected: number }>(functions.ingestS3, {
      event: notification,
      timeoutMs: 120_000,
    });
    expect(r).toEqual({ ingested: 1, rejected: 0 });
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({
      name: 'NotFound',
    });
    const found = bodyOf(
      await search({
        face_image_base64: PHOTO.toString('base64'),
        starttime: timestamp - 60,
        endtime: timestamp + 60,
        media_device_ids: ['gate-2'],
        fiqa_level: 'no',
      }),
    );
    expect(
      found.events.map(
        (e: { media_device_info: { media_device_id: string } }) => e.media_device_info.media_device_id,
      ),
    ).toEqual(['gate-2']);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key })).catch(() => undefined);
    s3.destroy();
  });

  /** The stored history segments' keys. */
  async function segmentKeys(): Promise<string[]> {
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: standIns.s3Endpoint,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'segments/' }));
      return (r.Contents ?? []).map((o) => o.Key!);
    } finally {
      s3.destroy();
    }
  }
  const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
  let segmentsBefore: string[] = [];

  it('builds the history segment of the event hour with the compactor (EventBridge schedule event)', async () => {
    const report = await send<{ built: number }>(functions.compactor, {
      event: scheduled,
      timeoutMs: 240_000,
    });
    expect(report.built).toBeGreaterThanOrEqual(1);
    const hour = new Date(timestamp * 1000).toISOString().slice(0, 13).replace(/[-T]/g, '');
    segmentsBefore = (await segmentKeys()).filter((k) => k.startsWith(`segments/${hour}/`));
    expect(segmentsBefore).toHaveLength(1);
  });

  const jobRoute = (method: string, id?: string, body?: unknown) =>
    invoke(
      functions.jobs,
      id === undefined
        ? apiEvent(method, '/sophon/v2/face/searchjobs', '/sophon/v2/face/searchjobs', {
            body,
            contentType: 'application/json',
          })
        : apiEvent(method, `/sophon/v2/face/searchjobs/${id}`, '/sophon/v2/face/searchjobs/{id}', {
            pathParameters: { id },
          }),
    );
  const jobWindow = { starttime: timestamp - 2 * 86_400, endtime: timestamp + 60 };

  it('runs a search job through the bundled jobs and piece functions, its map played from the synthesized definition', async () => {
    // The same face a day earlier: two hours with events, one piece each (JOB_PIECE_RECORDS=1).
    const earlier = await invoke(
      functions.ingest,
      apiEvent('POST', '/sophon/v2/face/events', '/sophon/v2/face/events', {
        contentType: 'application/json',
        body: {
          event_id: `${eventId}-day-before`,
          timestamp: timestamp - 86_400,
          face_image_base64: PHOTO.toString('base64'),
          media_device_info: { media_device_id: 'gate-3', media_device_type: 'photo' },
        },
      }),
    );
    expect(earlier.statusCode).toBe(201);
    // The first piece's first invocation fails as Lambda's own error: the definition's Retry runs it again.
    stepFunctions.faults.set(0, ['Lambda.ServiceException']);
    const post = await jobRoute('POST', undefined, {
      face_image_base64: PHOTO.toString('base64'),
      ...jobWindow,
      fiqa_level: 'no',
    });
    expect(post.statusCode).toBe(202);
    const { job_id: jobId, records_total: total } = bodyOf(post);
    const execution = stepFunctions.executions.get(jobId);
    expect(execution).toBeDefined();
    await execution!.done;
    expect(execution!.status).toBe('SUCCEEDED');
    const pieces = stepFunctions.invocations.filter(
      (p) => (p as { jobId: string }).jobId === jobId,
    ) as Array<{
      piece: { index: number };
    }>;
    expect(pieces.map((p) => p.piece.index).sort()).toEqual([0, 0, 1]);

    const page = bodyOf(await jobRoute('GET', jobId));
    expect(page).toMatchObject({ state: 'done', truncated: false, next_page_token: null });
    expect(page.records_examined).toBe(total);
    // The contract's call over the same window answers the same events in the same order.
    const contract = bodyOf(
      await search({ face_image_base64: PHOTO.toString('base64'), ...jobWindow, fiqa_level: 'no' }),
    );
    expect(contract.have_more).toBe(false);
    expect(page.events).toHaveLength(3);
    expect(page.events).toEqual(contract.events);
  });

  it('refuses a job past MAX_CONCURRENT_JOBS running executions, and a DELETE stops its execution', async () => {
    let release!: () => void;
    stepFunctions.hold = new Promise<void>((ok) => (release = ok));
    const body = { face_image_base64: PHOTO.toString('base64'), ...jobWindow, fiqa_level: 'no' };
    const held: string[] = [];
    try {
      // MAX_CONCURRENT_JOBS is 2 (the default): two executions held running, a third job refused.
      for (let i = 0; i < 2; i++) {
        const r = await jobRoute('POST', undefined, body);
        expect(r.statusCode).toBe(202);
        held.push(bodyOf(r).job_id as string);
      }
      const refused = await jobRoute('POST', undefined, body);
      expect(refused.statusCode).toBe(429);
      expect(bodyOf(refused).error.code).toBe('ANOTHER_PICTURE_SEARCH_RUNNING_ERROR');
      for (const id of held) {
        const r = await jobRoute('DELETE', id);
        expect(r.statusCode).toBe(200);
        expect(bodyOf(r).state).toBe('cancelled');
      }
      expect(stepFunctions.stopped).toEqual(
        held.map((id) => `arn:aws:states:us-east-1:123456789012:execution:bundle-test-jobs:${id}`),
      );
    } finally {
      release();
      stepFunctions.hold = undefined;
    }
    for (const id of held) {
      await stepFunctions.executions.get(id)!.done;
      expect(stepFunctions.executions.get(id)!.status).toBe('ABORTED');
      expect(bodyOf(await jobRoute('GET', id)).state).toBe('cancelled');
    }
    // A stopped execution invokes no piece.
    expect(stepFunctions.invocations.filter((p) => held.includes((p as { jobId: string }).jobId))).toEqual(
      [],
    );
  });

  it('fails a running job on its GET once its execution timed out outside the Catch', async () => {
    let release!: () => void;
    stepFunctions.hold = new Promise<void>((ok) => (release = ok));
    let jobId = '';
    try {
      const post = await jobRoute('POST', undefined, {
        face_image_base64: PHOTO.toString('base64'),
        ...jobWindow,
        fiqa_level: 'no',
      });
      expect(post.statusCode).toBe(202);
      jobId = bodyOf(post).job_id as string;
      // Its execution runs (DescribeExecution answers RUNNING): the job stays running.
      expect(bodyOf(await jobRoute('GET', jobId)).state).toBe('running');
      stepFunctions.timeOut(jobId);
      const page = await jobRoute('GET', jobId);
      expect(page.statusCode).toBe(200);
      expect(bodyOf(page).state).toBe('failed');
    } finally {
      release();
      stepFunctions.hold = undefined;
    }
    await stepFunctions.executions.get(jobId)!.done;
    expect(stepFunctions.executions.get(jobId)!.status).toBe('TIMED_OUT');
    // Stored, not only answered: a DELETE finds it failed, and its slot is free (no execution RUNNING).
    expect(bodyOf(await jobRoute('DELETE', jobId)).state).toBe('failed');
  });

  it('runs the scheduled reconcile and publishes its counts', async () => {
    const from = stdout.get(functions.reconcile.logicalId)?.length ?? 0;
    const tick = {
      version: '0',
      id: 'bundle-test',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: new Date().toISOString(),
      resources: ['arn:aws:events:us-east-1:123456789012:rule/reconcile'],
      detail: {},
    };
    const report = await send<{ imagesListed: number; orphanImagesRemoved: number }>(functions.reconcile, {
      event: tick,
      timeoutMs: 900_000,
      requestId: 'reconcile-run',
    });
    // The event ingested above has its two images, nothing is orphaned.
    expect(report.imagesListed).toBeGreaterThanOrEqual(2);
    expect(report.orphanImagesRemoved).toBe(0);
    const lines = await outputOf(functions.reconcile, from, (ls) =>
      ls.some((l) => emfNames(l).includes('ImagesListed')),
    );
    expect(lines.find((l) => emfNames(l).includes('ImagesListed'))).toMatchObject({
      service: 'reconcile',
      ImagesListed: report.imagesListed,
      OrphanImagesRemoved: 0,
      ReconcileFailures: 0,
      requestId: 'reconcile-run',
    });
  });

  it('deletes the event and its images through DELETE /sophon/v2/face/events/{id}', async () => {
    const r = await invoke(
      functions.images,
      apiEvent('DELETE', `/sophon/v2/face/events/${eventId}`, '/sophon/v2/face/events/{id}', {
        pathParameters: { id: eventId },
      }),
    );
    expect(r.statusCode).toBe(200);
    const after = bodyOf(
      await search({
        face_image_base64: PHOTO.toString('base64'),
        starttime: timestamp - 60,
        endtime: timestamp + 1,
        fiqa_level: 'no',
      }),
    );
    expect(after.events).toEqual([]);
    const image = await invoke(
      functions.images,
      apiEvent('GET', `/sophon/v2/face/images/${faceImageId}`, '/sophon/v2/face/images/{id}', {
        pathParameters: { id: faceImageId },
      }),
    );
    expect(image.statusCode).toBe(404);
  });

  it('removes the stale segment of the deleted event hour on the next compactor run', async () => {
    const report = await send<{ removed: number }>(functions.compactor, {
      event: scheduled,
      timeoutMs: 240_000,
    });
    expect(report.removed).toBeGreaterThanOrEqual(1);
    const keys = await segmentKeys();
    for (const k of segmentsBefore) expect(keys).not.toContain(k);
  });
});
