import { existsSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { createDetectHandler } from '../detect/handler';
import { getFaceEngine } from '../face';
import type { ApiEvent, ApiResult } from '../http/apiGateway';
import { DEFAULT_MESSAGES } from '../core/errors';
import { type Compactor, startCompactionTimer } from '../history/compactor';
import { createCompactor } from '../history/services';
import { createImagesHandler } from '../images/handler';
import { createIngestHandler } from '../ingest/handler';
import { createJobsHandler } from '../jobs/handler';
import { LocalJobRunner, spawnPieceWorker } from '../jobs/localRunner';
import type { JobStore } from '../jobs/jobStore';
import { logger } from '../shared/logger';
import { createJobStore } from '../jobs/services';
import { createSearchHandler } from '../search/handler';
import { type Config, loadConfig } from '../shared/config';
import { consoleConfigScript } from '../shared/consoleConfig';
import { LocalFallbackSearchSlots } from '../store/localFallbackSearchSlots';
import { createServices, type Services } from '../store/services';
import { createAwsClients } from '../store/clients';
import { backfillHourDirectory } from '../store/hourDirectoryBackfill';
import { apiKeyAccepted, INVALID_API_KEY_BODY } from './apiKey';
import { withRequestContext } from '../observability/requestContext';
import { localContext, toApiEvent } from './apiGatewayEvent';
import { type DataDirLock, lockDataDir } from './dataDirLock';
import { ensureTable, freeBytes, startStandIns, type StandIns } from './standIns';
import { staticFile } from './staticFiles';

export interface LocalServerOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  /** Configuration overrides (same names as the environment variables), e.g. { GRAB_MODE: 'true' }. */
  env?: Record<string, string>;
  /**
   * Keep dynalite's table in memory instead of under DATA_DIR: lost on close. For tests that never
   * restart their server, where writing 150,000 events is ~30% faster (README, "How long things take").
   */
  tableInMemory?: boolean;
}

export interface LocalServer {
  url: string;
  port: number;
  config: Config;
  services: Services;
  /** Builds the history segments; runs every COMPACTION_INTERVAL_SECONDS unless that is 0. */
  compactor: Compactor;
  /** Runs the search jobs' pieces on JOB_WORKERS worker threads. */
  jobRunner: LocalJobRunner;
  /** The jobs and their results (swept of expired jobs on a timer: dynalite has no TTL). */
  jobStore: JobStore;
  /** Where the SDK clients go: the embedded stand-ins, or the configured endpoints. */
  endpoints: { dynamodb?: string; s3?: string; table: string; bucket: string };
  close(): Promise<void>;
}

type Handler = (event: ApiEvent, context: ReturnType<typeof localContext>) => Promise<ApiResult>;
type Route = { method: string[]; pattern: RegExp; resource: string; handler: Handler };

/** API Gateway's own timeout: a local request gets no more time than a deployed one. */
const API_TIMEOUT_MS = 29_000;

/**
 * The request body, or undefined past `limit` bytes. The rest of an oversized body is read and dropped
 * rather than the connection cut, so the client gets its error reply instead of a reset.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

/** A path segment's percent-decoding, or undefined when it is malformed (`%E0%A4%A`). */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer | string,
): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

const jsonError = (code: string, message: string) => JSON.stringify({ error: { code, message } });
const NO_ROUTE = 'path: no such endpoint or file (the API is under /sophon/v2/face/)';

/** The console's Content-Security-Policy here: everything from this origin, photos as data: and blob:. */
export const LOCAL_CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const PAGE_HEADERS = {
  'Content-Security-Policy': LOCAL_CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** How long searches count their slots in process after the table failed to store a lease. */
const LEASE_TABLE_RETRY_MS = 30_000;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * The API on a local port, the same Lambda handlers behind it, with dynalite and s3rver started in this
 * process unless DYNAMODB_ENDPOINT / S3_ENDPOINT name real ones (LocalStack or AWS). Also serves the
 * search console at `/`.
 *
 * @example const server = await startLocalServer({ port: 0, dataDir: tmp }); ... await server.close();
 */
export async function startLocalServer(opts: LocalServerOptions = {}): Promise<LocalServer> {
  const base = loadConfig({ ...process.env, ...opts.env });
  const host = opts.host ?? base.HOST;
  // The appliance's one door from the network is this server: off the loopback it must ask for a key.
  if (!LOOPBACK.test(host) && !base.LOCAL_API_KEY) {
    throw new Error(
      `HOST=${host} is reachable from the network: set LOCAL_API_KEY (8+ characters), or listen on 127.0.0.1`,
    );
  }
  const dataDir = resolve(opts.dataDir ?? base.DATA_DIR);
  let standIns: StandIns | undefined;
  const c: Config = { ...base, DATA_DIR: dataDir };
  const local = !c.DYNAMODB_ENDPOINT || !c.S3_ENDPOINT;
  let lock: DataDirLock | undefined;
  if (local) {
    mkdirSync(dataDir, { recursive: true });
    // Before the stand-ins open their files: a second server would otherwise die on dynalite's own lock
    // ("Database is closed") without naming the first.
    lock = lockDataDir(dataDir);
    standIns = await startStandIns(dataDir, c.IMAGE_BUCKET, {
      dynamodb: !c.DYNAMODB_ENDPOINT,
      inMemory: opts.tableInMemory,
    }).catch((err: unknown) => {
      lock?.release();
      throw err;
    });
    c.DYNAMODB_ENDPOINT ||= standIns.dynamodbEndpoint;
    c.S3_ENDPOINT ||= standIns.s3Endpoint;
  }
  // This process's one pair of SDK clients: the adapters, the table check and the compactor share them.
  const clients = createAwsClients(c, { localCredentials: local });
  const services = createServices(c, { clients });
  // This process holds DATA_DIR's lock and runs every search of its own dynalite: a full table disk must
  // not stop searches (functions/store/localFallbackSearchSlots.ts).
  if (standIns?.dynamodbEndpoint) {
    services.slots = new LocalFallbackSearchSlots(services.slots, {
      slots: c.MAX_CONCURRENT_SEARCHES,
      retryTableAfterMs: LEASE_TABLE_RETRY_MS,
    });
  }
  await ensureTable(clients.dynamo, c.EVENTS_TABLE);
  // The appliance has no EventBridge: the same compactor as the cloud's Lambda, on a timer.
  const compactor = createCompactor(c, services.clients);
  const compaction =
    c.COMPACTION_INTERVAL_SECONDS > 0
      ? startCompactionTimer(compactor, c.COMPACTION_INTERVAL_SECONDS * 1000)
      : undefined;

  const deps = () => ({ services, engine: getFaceEngine });
  const jobStore = createJobStore(c, services.clients, { index: true });
  // Jobs left running by a process that died never end: failed before this one accepts any (the data
  // folder's lock says no other process runs them); with an external table, other processes may.
  const swept = await jobStore.sweep(Math.floor(Date.now() / 1000), { failRunning: local });
  if (swept.failed > 0)
    logger.warn({ jobs: swept.failed }, 'jobs left running by an earlier process: failed');
  const jobSweep = c.JOB_SWEEP_SECONDS > 0 ? startJobSweep(jobStore, c.JOB_SWEEP_SECONDS * 1000) : undefined;
  const jobRunner = new LocalJobRunner(jobStore, {
    workers: c.JOB_WORKERS,
    attempts: c.JOB_PIECE_ATTEMPTS,
    spawn: () => spawnPieceWorker(c, local),
  });
  const jobs: Handler = createJobsHandler(() => ({
    ...deps(),
    jobs: jobStore,
    runner: jobRunner,
  }));
  const search: Handler = createSearchHandler(deps);
  const ingest: Handler = createIngestHandler(deps);
  const images: Handler = createImagesHandler(() => services);
  const detect: Handler = createDetectHandler(() => ({
    config: c,
    images: services.images,
    engine: getFaceEngine,
  }));
  // One row per API Gateway resource, as infra declares them: alike by design (`duplicates` pairs the rows).
  const routes: Route[] = [
    {
      method: ['POST'],
      pattern: /^\/sophon\/v2\/face\/searchbyimage\/?$/,
      resource: '/sophon/v2/face/searchbyimage',
      handler: search,
    },
    {
      method: ['POST'],
      pattern: /^\/sophon\/v2\/face\/searchjobs\/?$/,
      resource: '/sophon/v2/face/searchjobs',
      handler: jobs,
    },
    {
      method: ['GET', 'DELETE'],
      pattern: /^\/sophon\/v2\/face\/searchjobs\/([^/]+)$/,
      resource: '/sophon/v2/face/searchjobs/{id}',
      handler: jobs,
    },
    {
      method: ['POST'],
      pattern: /^\/sophon\/v2\/face\/detect\/?$/,
      resource: '/sophon/v2/face/detect',
      handler: detect,
    },
    {
      method: ['POST'],
      pattern: /^\/sophon\/v2\/face\/events\/?$/,
      resource: '/sophon/v2/face/events',
      handler: ingest,
    },
    {
      method: ['GET', 'HEAD'],
      pattern: /^\/sophon\/v2\/face\/images\/([^/]+)$/,
      resource: '/sophon/v2/face/images/{id}',
      handler: images,
    },
    {
      method: ['GET', 'HEAD'],
      pattern: /^\/sophon\/v2\/openapi\.json$/,
      resource: '/sophon/v2/openapi.json',
      handler: images,
    },
    {
      method: ['DELETE'],
      pattern: /^\/sophon\/v2\/face\/events\/([^/]+)$/,
      resource: '/sophon/v2/face/events/{id}',
      handler: images,
    },
  ];
  const endpoints = {
    dynamodb: c.DYNAMODB_ENDPOINT,
    s3: c.S3_ENDPOINT,
    table: c.EVENTS_TABLE,
    bucket: c.IMAGE_BUCKET,
  };
  // Room for the largest image in base64 plus the JSON around it.
  const bodyLimit = Math.ceil((c.MAX_IMAGE_BYTES * 4) / 3) + 1024 * 1024;

  // Slow and idle clients: a body sent at 1 byte/s, or a connection opened and left idle, would hold
  // memory and a socket for as long as the client likes (issue 14). Node checks the two deadlines on
  // connectionsCheckingInterval (30 s by default): here a tenth of the shorter.
  const headersTimeout = Math.min(c.LOCAL_HEADERS_TIMEOUT_MS, c.LOCAL_REQUEST_TIMEOUT_MS);
  const timeouts = {
    headersTimeout,
    requestTimeout: c.LOCAL_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: c.LOCAL_KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: Math.max(50, Math.floor(headersTimeout / 10)),
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      // The API wants the key, as the stack's API-key option does; the console's files do not.
      if (/^\/(sophon|_local)\//.test(url.pathname) && !apiKeyAccepted(req, c.LOCAL_API_KEY)) {
        req.resume(); // drain the body, so the client reads the 403 rather than a reset
        return send(res, 403, { 'Content-Type': 'application/json' }, INVALID_API_KEY_BODY);
      }
      const route = routes.find((r) => r.pattern.test(url.pathname));
      if (route) {
        if (!route.method.includes(req.method ?? '')) {
          return send(
            res,
            405,
            { 'Content-Type': 'application/json' },
            jsonError('METHOD_NOT_ALLOWED', `method: must be ${route.method.join(' or ')}`),
          );
        }
        const body = await readBody(req, bodyLimit);
        // As the cloud's gateway response for bodies over API Gateway's cap (docs/deploy.md).
        if (!body) {
          return send(
            res,
            400,
            { 'Content-Type': 'application/json' },
            jsonError('INVALID_ARGUMENTS', `body: must be at most ${bodyLimit} bytes`),
          );
        }
        const rawId = route.pattern.exec(url.pathname)?.[1];
        const id = rawId === undefined ? undefined : decodeSegment(rawId);
        // No id is malformed percent-encoding, so nothing is stored under it.
        if (rawId !== undefined && id === undefined) {
          const notFound = jsonError('NOT_FOUND', 'id: must be valid percent-encoding');
          return send(res, 404, { 'Content-Type': 'application/json' }, notFound);
        }
        const event = toApiEvent(req, url, body, {
          resource: route.resource,
          pathParameters: id ? { id } : null,
        });
        // Its log lines carry a request id, as in Lambda. A client that goes away before its answer aborts the work done for it.
        const gone = new AbortController();
        res.once('close', () => {
          if (!res.writableFinished) gone.abort(new DOMException('client disconnected', 'AbortError'));
        });
        const result = await withRequestContext(route.handler)(
          event,
          localContext(API_TIMEOUT_MS, gone.signal),
        );
        if (gone.signal.aborted) return;
        const bytes = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
        const headers = Object.fromEntries(
          Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        return send(res, result.statusCode, headers, req.method === 'HEAD' ? '' : bytes);
      }
      if (url.pathname === '/_local/endpoints' && req.method === 'GET') {
        return send(res, 200, { 'Content-Type': 'application/json' }, JSON.stringify(endpoints));
      }
      if (c.LOCAL_API_KEY && url.pathname === '/config.js' && req.method === 'GET') {
        const script = consoleConfigScript({ apiBase: '', apiKeyRequired: true });
        return send(res, 200, { 'Content-Type': 'text/javascript; charset=utf-8', ...PAGE_HEADERS }, script);
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        const file = await staticFile(c.WEB_DIR, url.pathname);
        if (file)
          return send(
            res,
            200,
            { 'Content-Type': file.contentType, ...PAGE_HEADERS },
            req.method === 'HEAD' ? '' : file.bytes,
          );
      }
      send(res, 404, { 'Content-Type': 'application/json' }, jsonError('NOT_FOUND', NO_ROUTE));
    } catch (err) {
      // The client went away, or its body missed LOCAL_REQUEST_TIMEOUT_MS (answered 408 above): no one to answer.
      if (req.destroyed && !res.headersSent) return;
      console.error('local server: unexpected failure', (err as Error)?.name);
      if (!res.headersSent)
        send(
          res,
          500,
          { 'Content-Type': 'application/json' },
          jsonError('INTERNAL_ERROR', DEFAULT_MESSAGES.INTERNAL_ERROR),
        );
    }
  };
  // Detached on purpose: `handle` answers every failure itself (its catch), so nothing is left to reject.
  const server = createServer(timeouts, (req, res) => void handle(req, res));
  server.maxConnections = c.LOCAL_MAX_CONNECTIONS;
  // Requests Node cannot parse (request line and headers over 16 KB, broken HTTP) get an error body too.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return;
    // Headers or body not received within LOCAL_HEADERS_TIMEOUT_MS / LOCAL_REQUEST_TIMEOUT_MS.
    const late = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const body = jsonError(
      'INVALID_ARGUMENTS',
      late
        ? 'request: headers and body must arrive within the server deadlines (LOCAL_REQUEST_TIMEOUT_MS)'
        : 'request: must be HTTP/1.1 with headers under 16 KB',
    );
    socket.end(
      `HTTP/1.1 ${late ? '408 Request Timeout' : '400 Bad Request'}\r\nContent-Type: application/json\r\nConnection: close\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((r, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? c.PORT, host, () => r());
  });
  const port = (server.address() as AddressInfo).port;
  lock?.setUrl(`http://${host}:${port}`);
  return {
    url: `http://${host}:${port}`,
    port,
    config: c,
    services,
    compactor,
    jobRunner,
    jobStore,
    endpoints,
    close: async () => {
      await compaction?.stop();
      await jobSweep?.stop();
      await jobRunner.close();
      const closing = new Promise((r) => server.close(r));
      server.closeAllConnections();
      await closing;
      await standIns?.close();
      lock?.release();
    },
  };
}

/** Removes expired jobs every `intervalMs` (one sweep at a time; a failed one is retried by the next). */
function startJobSweep(store: JobStore, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() =>
      store
        .sweep(Math.floor(Date.now() / 1000), { failRunning: false })
        .catch((err: unknown) => logger.warn({ err: (err as Error)?.name }, 'job sweep failed')),
    );
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** Below this, the local stand-ins' writes may fail at any moment (docs/store.md, "Local storage and its disk"). */
const LOW_DISK_BYTES = 64 * 1024 * 1024;

/**
 * One line when the disk of DATA_DIR, or of its table or object store (each may be a mount of its own),
 * is (nearly) full; undefined otherwise.
 */
function diskWarning(dataDir: string): string | undefined {
  try {
    mkdirSync(dataDir, { recursive: true });
    for (const dir of [join(dataDir, 'dynamodb'), join(dataDir, 's3'), dataDir]) {
      if (!existsSync(dir)) continue;
      const free = freeBytes(dir);
      if (free >= LOW_DISK_BYTES) continue;
      const which = dir === dataDir ? '' : ` (its ${basename(dir)}/)`;
      return `the disk of DATA_DIR ${dataDir}${which} is full (${Math.floor(free / 1024 / 1024)} MB free)`;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const c = loadConfig();
  const full = c.DYNAMODB_ENDPOINT ? undefined : diskWarning(resolve(c.DATA_DIR));
  const server = await startLocalServer().catch((err: unknown) => {
    // Opening the stand-ins writes too: on a full disk that is the reason, whatever the error says.
    throw full ? new Error(`${full}; free some space and start again`) : err;
  });
  // One line either way: this warning when the server starts, the failure's reason when it cannot.
  if (full) console.error(`warning: ${full}: ingests answer SERVICE_UNAVAILABLE until space is freed`);
  // Data from before the hour directory: list its hours once, or searches would find nothing. Before the
  // marker file announces the server, so whoever waits for it sees a complete directory.
  const listed = await backfillHourDirectory(server.services.clients.dynamo, server.config.EVENTS_TABLE);
  const marker = join(server.config.DATA_DIR, 'local-server.json');
  mkdirSync(server.config.DATA_DIR, { recursive: true });
  writeFileSync(marker, JSON.stringify({ url: server.url, pid: process.pid, ...server.endpoints }, null, 2));
  console.log(`sophon-face-search listening on ${server.url}`);
  console.log(`  search:  POST ${server.url}/sophon/v2/face/searchbyimage   console: ${server.url}/`);
  console.log(
    `  data:    ${server.config.DATA_DIR}${c.DYNAMODB_ENDPOINT ? ' (external endpoints)' : ' (dynalite + s3rver)'}`,
  );
  if (listed > 0) console.log(`  hour directory: listed ${listed} hours of older data`);
  if (await server.services.events.isEmpty()) {
    console.log('  The history is empty. Load demo events with:  npm run seed:demo');
    console.log('  or your own photos (<folder>/<identity>/<image>):  npm run seed -- <folder>');
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    rmSync(marker, { force: true });
    await server.close();
    process.exit(0);
  };
  // Detached: the process exits at the end of stop; a failed close has no one left to report to.
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (require.main === module) {
  main().catch((err) => {
    console.error('could not start the local server:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
