/**
 * Faults for the storage stand-ins. Real ones where a real server can produce them: a TCP proxy in front
 * of dynalite or s3rver that stops (connections reset, new ones refused: as if the process died), hangs
 * (accepts and never answers) or slows down. Injected ones (SDK middleware) only where a real server
 * cannot: throttling, and failures of one chosen call.
 */
import {
  type DynamoDBClient,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { type LocalServer, startLocalServer } from '../../../functions/local/server';
import { startStandIns } from '../../../functions/local/standIns';
import { LOCAL_CREDENTIALS } from '../../../functions/store/clients';

/** Faults injected in this test file, by kind: the suite's report. */
export const faultTally: Record<string, number> = {};
export const countFault = (kind: string, n = 1) => {
  faultTally[kind] = (faultTally[kind] ?? 0) + n;
};
export const faultsInjected = () => Object.values(faultTally).reduce((a, b) => a + b, 0);

/** A TCP proxy in front of a stand-in, which can be stopped, hung or slowed like the server behind it. */
export class FaultyProxy {
  port = 0;
  private mode: 'up' | 'hang' = 'up';
  private delayMs = 0;
  private readonly sockets = new Set<Socket>();
  private server?: Server;

  private constructor(private readonly target: URL) {}

  static async start(target: string): Promise<FaultyProxy> {
    const proxy = new FaultyProxy(new URL(target));
    await proxy.listen(0);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  private relay(client: Socket): void {
    const upstream = connect(Number(this.target.port), this.target.hostname);
    this.sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (chunk) => {
      if (this.mode === 'hang') return; // swallowed: the request never reaches the server
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.delayMs > 0) setTimeout(() => client.write(chunk), this.delayMs);
      else client.write(chunk);
    });
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  }

  /** The stand-in "dies": open connections are reset, new ones refused. */
  async stop(): Promise<void> {
    countFault('stopped');
    const server = this.server;
    this.server = undefined;
    const closed = new Promise((r) => server?.close(r) ?? r(undefined));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Back on the same port, healthy. */
  async restart(): Promise<void> {
    this.mode = 'up';
    this.delayMs = 0;
    if (!this.server) await this.listen(this.port);
  }

  /** Accepts connections and requests, answers nothing. */
  hang(): void {
    countFault('hung');
    this.mode = 'hang';
  }

  /** Every chunk of every answer arrives this much later. */
  slow(delayMs: number): void {
    countFault('slowed');
    this.delayMs = delayMs;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((r) => server.close(r));
  }
}

export type FaultServer = LocalServer & { dynamoProxy: FaultyProxy; s3Proxy: FaultyProxy };

/**
 * The local server with its own dynalite and s3rver, each reached through a FaultyProxy. The endpoints
 * count as "external" for the server, so its SDK clients take the stand-ins' credentials from the
 * environment, as they would take LocalStack's.
 */
export async function startFaultServer(env: Record<string, string> = {}): Promise<FaultServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sfs-faults-'));
  const standIns = await startStandIns(join(dataDir, 'stand-ins'), 'sophon-face-images');
  const dynamoProxy = await FaultyProxy.start(standIns.dynamodbEndpoint);
  const s3Proxy = await FaultyProxy.start(standIns.s3Endpoint);
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  const server = await startLocalServer({
    port: 0,
    dataDir,
    env: {
      DYNAMODB_ENDPOINT: dynamoProxy.url,
      S3_ENDPOINT: s3Proxy.url,
      IMAGE_BUCKET: 'sophon-face-images',
      ...env,
    },
  });
  return {
    ...server,
    dynamoProxy,
    s3Proxy,
    close: async () => {
      await server.close();
      await Promise.all([dynamoProxy.close(), s3Proxy.close()]);
      await standIns.close();
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What SDK middleware sees of a call. */
interface Call {
  commandName: string;
  input: Record<string, unknown>;
}

type Client = DynamoDBClient | S3Client;
/** The part of the SDK's middleware stack used here, without its per-step overloads. */
type Stack = {
  add: (mw: unknown, opts: Record<string, unknown>) => void;
  remove: (name: string) => boolean;
};
const stackOf = (client: Client) => client.middlewareStack as unknown as Stack;

/** One attempt of one call (a call is one `client.send`; its retries share `call`). */
export interface Attempt {
  call: number;
  commandName: string;
  attempt: number;
  at: number;
}

let names = 0;

/**
 * Records every attempt (each retry included) of the client's calls; the deserialize step runs inside
 * the SDK's retry loop, once per attempt. Returns the log and a remover.
 */
export function recordAttempts(client: Client): { attempts: Attempt[]; stop: () => void } {
  const attempts: Attempt[] = [];
  const calls = new WeakMap<object, { call: number; n: number }>();
  let nextCall = 0;
  const name = `recordAttempts${names++}`;
  stackOf(client).add(
    (next: (a: unknown) => Promise<unknown>, context: { commandName: string }) => async (args: unknown) => {
      let c = calls.get(context);
      if (!c) calls.set(context, (c = { call: nextCall++, n: 0 }));
      attempts.push({
        call: c.call,
        commandName: context.commandName,
        attempt: ++c.n,
        at: performance.now(),
      });
      return next(args);
    },
    { step: 'deserialize', priority: 'high', name },
  );
  return { attempts, stop: () => stackOf(client).remove(name) };
}

/**
 * Makes attempts fail as `fault` says (it sees the call and which attempt of it this is; undefined lets
 * the attempt through to the server). Each injected failure is counted. Returns a remover.
 */
export function injectFaults(
  client: Client,
  fault: (call: Call, attempt: number) => Error | undefined,
): () => void {
  const attempts = new WeakMap<object, number>();
  const name = `injectFaults${names++}`;
  stackOf(client).add(
    (next: (a: unknown) => Promise<unknown>, context: { commandName: string }) =>
      async (args: { input: Record<string, unknown> }) => {
        const n = (attempts.get(context) ?? 0) + 1;
        attempts.set(context, n);
        const err = fault({ commandName: context.commandName, input: args.input }, n);
        if (err) {
          countFault(err.name);
          throw err;
        }
        return next(args);
      },
    // Inside the attempt recorder (deserialize, high), so injected attempts are recorded too.
    { step: 'deserialize', priority: 'low', name },
  );
  return () => stackOf(client).remove(name);
}

/**
 * GetObject answers whose key `cut` selects arrive with their headers and half their body; then the
 * connection is reset (ECONNRESET, as Node raises it). The body is read after the client's middleware, so
 * this failure reaches the adapter's own body read. Returns how many bodies were cut and a remover.
 */
export function cutBodies(
  client: S3Client,
  cut: (key: string) => boolean,
): { cuts: () => number; stop: () => void } {
  let cuts = 0;
  const name = `cutBodies${names++}`;
  stackOf(client).add(
    (next: (a: unknown) => Promise<{ output: { Body?: unknown } }>, context: { commandName: string }) =>
      async (args: { input: { Key?: string } }) => {
        const out = await next(args);
        if (context.commandName !== 'GetObjectCommand' || !cut(String(args.input.Key))) return out;
        const body = Buffer.from(
          await (out.output.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        );
        let sent = false;
        const broken = new Readable({
          read() {
            if (sent) this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
            else this.push(body.subarray(0, body.length >> 1));
            sent = true;
          },
        });
        cuts++;
        countFault('bodyCut');
        out.output.Body = sdkStreamMixin(broken);
        return out;
      },
    { step: 'initialize', name },
  );
  return { cuts: () => cuts, stop: () => stackOf(client).remove(name) };
}

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode }, message: 'injected' });

/** The errors DynamoDB and S3 answer when overloaded, as the SDK would raise them. */
export const errors = {
  throttling: () => new ThrottlingException(meta(400)),
  provisionedThroughput: () => new ProvisionedThroughputExceededException(meta(400)),
  dynamoInternal: () => new InternalServerError(meta(500)),
  s3Internal: () =>
    new S3ServiceException({ name: 'InternalError', $fault: 'server', ...meta(500) }) as Error,
  s3SlowDown: () => new S3ServiceException({ name: 'SlowDown', $fault: 'server', ...meta(503) }) as Error,
  timeout: () => Object.assign(new Error('injected: socket timed out'), { name: 'TimeoutError' }),
};

/** Is this the write of an event pointer (the last step of an ingest)? */
export const isPointerPut = (c: Call) =>
  c.commandName === 'PutItemCommand' &&
  String((c.input.Item as Record<string, { S?: string }>)?.pk?.S).startsWith('EVENT#');
/** Is this the write of an event record? */
export const isRecordPut = (c: Call) =>
  c.commandName === 'PutItemCommand' &&
  String((c.input.Item as Record<string, { S?: string }>)?.pk?.S).startsWith('EV#');

/** The ids of the images stored in the server's bucket (listing s3rver directly). */
export async function storedImageIds(images: {
  list(): AsyncIterable<Array<{ imageId: string }>>;
}): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of images.list()) ids.push(...page.map((i) => i.imageId));
  return ids.sort();
}
