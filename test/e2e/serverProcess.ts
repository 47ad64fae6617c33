import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../functions/shared/config';
import { createServices, type Services } from '../../functions/store/services';

const ROOT = resolve(__dirname, '../..');
export const TSX = join(ROOT, 'node_modules/.bin/tsx');

export interface ServerProcess {
  url: string;
  /** The stand-ins the server started: dynalite and s3rver endpoints, table and bucket. */
  endpoints: { dynamodb: string; s3: string; table: string; bucket: string };
  /** The same store as the server, reached as another instance would reach it. */
  services: Services;
  close(): Promise<void>;
}

/**
 * `npm start` as a person runs it (functions/local/server.ts under tsx), in its own process, on a random
 * port with a fresh temporary data folder. Its own process keeps the server's speed independent of the
 * test runner's sandbox, and makes the page talk to it over a real socket only.
 */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sophon-console-e2e-'));
  const child = spawn(TSX, [join(ROOT, 'functions/local/server.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    // The server writes this file once it listens (functions/local/server.ts, main()).
    const marker = await waitForMarker(join(dataDir, 'local-server.json'), child, 120_000);
    const config = loadConfig({
      ...process.env,
      ...env,
      DYNAMODB_ENDPOINT: marker.dynamodb,
      S3_ENDPOINT: marker.s3,
    });
    return {
      url: marker.url,
      endpoints: marker,
      services: createServices(config, { localCredentials: true }),
      close: async () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

type Marker = ServerProcess['endpoints'] & { url: string };

async function waitForMarker(path: string, child: ChildProcess, timeoutMs: number): Promise<Marker> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the local server exited with code ${child.exitCode}`);
    if (existsSync(path)) {
      try {
        return JSON.parse(readFileSync(path, 'utf8')) as Marker;
      } catch {
        // Caught mid-write: read it again on the next turn.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the local server did not start in time');
}
