/**
 * What the stored-history benches (4c, 4d) share: a local server over a data folder seeded once and
 * reused while its seed spec is unchanged, and a timed window search against it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer, type LocalServer } from '../../functions/local/server';

/** Compaction by hand only, old synthetic history kept past the default retention. */
const env = { MAX_CONCURRENT_SEARCHES: '4', COMPACTION_INTERVAL_SECONDS: '0', RETENTION_DAYS: '36500' };

/**
 * A server over `dataDir`, seeded by `seed` unless the folder already holds exactly `spec` (a marker
 * written after a complete seed: an interrupted one is started again from an empty folder).
 */
export async function seededServer(
  dataDir: string,
  spec: Record<string, unknown>,
  seed: (server: LocalServer) => Promise<void>,
): Promise<LocalServer> {
  const marker = join(dataDir, 'bench-seed.json');
  if (!(existsSync(marker) && readFileSync(marker, 'utf8') === JSON.stringify(spec))) {
    rmSync(dataDir, { recursive: true, force: true });
    const server = await startLocalServer({ port: 0, dataDir, env });
    try {
      await seed(server);
      writeFileSync(marker, JSON.stringify(spec));
    } finally {
      await server.close();
    }
  }
  return startLocalServer({ port: 0, dataDir, env });
}

export interface WindowSearch {
  total_time: number;
  records_examined: number;
  records_read: number;
  timings: { face_ms: number; scan_ms: number };
}

/** One search of [startMs, endMs] with the photo at fiqa_level `no`; anything but 200 throws. */
export async function windowSearch(
  server: LocalServer,
  photo: Buffer,
  startMs: number,
  endMs: number,
): Promise<WindowSearch> {
  const res = await fetch(`${server.url}/sophon/v2/face/searchbyimage`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      face_image_base64: photo.toString('base64'),
      fiqa_level: 'no',
      starttime: startMs / 1000,
      endtime: endMs / 1000,
      threshold: 82,
    }),
  });
  const json = (await res.json()) as WindowSearch;
  if (res.status !== 200) throw new Error(`search answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}
