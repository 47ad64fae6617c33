import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export interface DynamoDbLocal {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

const defaults = {
  /** A cold JVM answers its first request after 1-3 s here; 60 s covers a loaded CI machine. */
  startTimeoutMs: 60_000,
  /** The in-memory tables of one test run are small; a fixed heap keeps the JVM from sizing itself to the host. */
  heap: '512m',
};

/** The official DynamoDB Local as shipped inside the npm package amplify-dynamodb-simulator. */
export function emulatorDir(): string {
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The Java major version on PATH, or a message saying what to install. */
export function javaMajorVersion(): number {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer on PATH, and `java` was not found ' +
        `(${r.error?.message ?? `exit ${r.status}`}). Install it (Debian: apt-get install openjdk-17-jre-headless) ` +
        'or run the storage tests against dynalite only with `npm test`.',
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr + r.stdout);
  const major = m ? Number(m[1] === '1' ? m[2] : m[1]) : NaN;
  if (!(major >= 17))
    throw new Error(`DynamoDB Local needs Java 17 or newer; \`java -version\` says: ${r.stderr}`);
  return major;
}

async function answers(endpoint: string): Promise<boolean> {
  const db = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await db.send(new ListTablesCommand({ Limit: 1 }));
    return true;
  } catch {
    return false;
  } finally {
    db.destroy();
  }
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => proc.once('exit', () => r()));
}

/**
 * Starts DynamoDB Local in memory on a free loopback port and waits until it answers. Telemetry is off:
 * the run needs no network. One shared database (-sharedDb) whatever credentials or region a client uses,
 * as one AWS account would be.
 *
 * @example const ddb = await startDynamoDbLocal(); process.env.TEST_DYNAMODB_ENDPOINT = ddb.endpoint; ... await ddb.stop();
 */
export async function startDynamoDbLocal(opts: Partial<typeof defaults> = {}): Promise<DynamoDbLocal> {
  const o = { ...defaults, ...opts };
  javaMajorVersion();
  const dir = emulatorDir();
  const port = await freePort();
  const proc = spawn(
    'java',
    [
      `-Xmx${o.heap}`,
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (b: Buffer) => (output = (output + b.toString()).slice(-4000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const endpoint = `http://127.0.0.1:${port}`;
  // A JVM outlives its parent: if jest dies before its global teardown (Ctrl-C, a closed pipe), take
  // DynamoDB Local down with it.
  const orphanGuard = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals) => {
    orphanGuard();
    process.kill(process.pid, signal);
  };
  process.once('exit', orphanGuard);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, onSignal);
  const stop = async () => {
    process.off('exit', orphanGuard);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited(proc);
  };

  const deadline = Date.now() + o.startTimeoutMs;
  while (!(await answers(endpoint))) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`DynamoDB Local exited (${proc.exitCode ?? proc.signalCode}) at start:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `DynamoDB Local did not answer on ${endpoint} within ${o.startTimeoutMs} ms:\n${output}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { endpoint, pid: proc.pid ?? -1, stop };
}
