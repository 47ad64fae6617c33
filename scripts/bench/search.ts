/**
 * Parts 3 and 4: searches over the local server (dynalite, s3rver, a real HTTP listener) holding a window
 * of synthetic history, cold (caches emptied first) and warm, then concurrent clients with autocannon.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { startLocalServer, type LocalServer } from '../../functions/local/server';
import type { StoredEvent } from '../../functions/store/types';
import { BUCKET_MS } from '../../functions/core/timeWindow';
import { near, randomUnit, syntheticEvent } from '../seed/synthetic';
import { benchSegments, removeSegments, type SegmentFigures } from './segments';
import { type Summary, summarize } from './stats';

/** Where the seeded window lies: ten closed hours well in the past, so every bucket is immutable. */
const WINDOW_END_MS = Date.UTC(2026, 0, 15, 10);
const WINDOW_HOURS = 10;
const MATCHES = 20;
const SEED_VERSION = 1;

export interface SearchFigures {
  records: number;
  seedSeconds?: number;
  /** Cold, every hour from its segment (built). */
  cold: Runs;
  /** Cold, segments not built: every hour from its items. */
  coldItems: Runs;
  warm: Runs;
  /** Warm, at the default fiqa_level (low) instead of no. */
  warmLow: Runs;
  /**
   * Warm, the same window searched from a stored event (event_id: "search with this face" in the
   * console): no photo decoded, no model run, the event's embedding read instead.
   */
  warmEvent?: Runs;
  matches: number;
  examined: number;
  load: LoadFigures[];
  /** Building the window's segments, and reading it cold from segments vs from items. */
  segments?: SegmentFigures;
}

/** total_time and HTTP latency, and the service's own split of total_time (face engine, history scan). */
export interface Runs {
  httpMs: Summary;
  totalTimeMs: Summary;
  faceMs: Summary;
  scanMs: Summary;
}

function runs(rs: Array<{ httpMs: number; totalTimeMs: number; faceMs: number; scanMs: number }>): Runs {
  const of = (k: 'httpMs' | 'totalTimeMs' | 'faceMs' | 'scanMs') =>
    summarize(rs.map((r) => r[k]).filter((v) => !Number.isNaN(v)));
  return { httpMs: of('httpMs'), totalTimeMs: of('totalTimeMs'), faceMs: of('faceMs'), scanMs: of('scanMs') };
}

export interface LoadFigures {
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/** A seeded xorshift: the same history on every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** `records` events spread evenly over the window, MATCHES of them near the query face. */
async function seed(server: LocalServer, records: number, query: Float32Array): Promise<void> {
  const random = seeded(42);
  const start = WINDOW_END_MS - WINDOW_HOURS * 3_600_000;
  const step = (WINDOW_HOURS * 3_600_000) / records;
  const every = Math.floor(records / MATCHES);
  const batch: StoredEvent[] = [];
  for (let i = 0; i < records; i++) {
    const ts = Math.floor(start + i * step);
    const v = i % every === every - 1 ? near(query, 0.5, random) : randomUnit(random);
    batch.push(syntheticEvent(ts, `cam-${i % 8}`, v, {}, `bench-${String(i).padStart(7, '0')}`));
    if (batch.length === 5000 || i === records - 1) {
      await server.services.events.putMany(batch.splice(0), { pointers: false });
    }
  }
}

/** The event the event_id searches start from: outside the window, so the window's records stay the same. */
const QUERY_EVENT_ID = 'bench-query-event';

/** Stores the query face as an event (with its id pointer) an hour after the window. */
async function seedQueryEvent(server: LocalServer, query: Float32Array): Promise<void> {
  const event = syntheticEvent(WINDOW_END_MS + 1_800_000, 'cam-0', query, {}, QUERY_EVENT_ID);
  await server.services.events.putMany([event], { pointers: true });
}

function request(photo: Buffer, fiqaLevel = 'no'): string {
  return windowRequest({ face_image_base64: photo.toString('base64'), fiqa_level: fiqaLevel });
}

function windowRequest(query: Record<string, string>): string {
  return JSON.stringify({
    ...query,
    starttime: (WINDOW_END_MS - WINDOW_HOURS * 3_600_000) / 1000,
    endtime: WINDOW_END_MS / 1000,
    threshold: 82,
  });
}

async function searchOnce(url: string, body: string) {
  const t = performance.now();
  const res = await fetch(`${url}/sophon/v2/face/searchbyimage`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  const json = (await res.json()) as Record<string, unknown>;
  const httpMs = performance.now() - t;
  if (res.status !== 200) throw new Error(`search answered ${res.status}: ${JSON.stringify(json)}`);
  const timings = json.timings as { face_ms?: number; scan_ms?: number } | undefined;
  return {
    httpMs,
    totalTimeMs: (json.total_time as number) * 1000,
    faceMs: timings?.face_ms ?? NaN,
    scanMs: timings?.scan_ms ?? NaN,
    matches: (json.events as unknown[]).length,
    examined: json.records_examined as number,
  };
}

async function load(url: string, body: string, connections: number, seconds: number): Promise<LoadFigures> {
  const r = await autocannon({
    url: `${url}/sophon/v2/face/searchbyimage`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
    timeout: 60,
  });
  return {
    connections,
    seconds,
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

/**
 * Seeds (or reuses) a store of `records` events under `dataDir`, starts the local server on it and
 * measures searches with `photo` as the query.
 */
export async function benchSearch(opts: {
  photo: Buffer;
  query: Float32Array;
  records: number;
  dataDir: string;
  coldRuns: number;
  warmRuns: number;
  load: Array<{ connections: number; seconds: number }>;
  /** Empties the process's search caches (cold runs). */
  dropCaches: () => void;
}): Promise<SearchFigures> {
  const marker = join(opts.dataDir, 'bench-seed.json');
  const spec = { version: SEED_VERSION, records: opts.records, end: WINDOW_END_MS, hours: WINDOW_HOURS };
  const reuse = existsSync(marker) && readFileSync(marker, 'utf8') === JSON.stringify(spec);
  if (!reuse) rmSync(opts.dataDir, { recursive: true, force: true });
  const server = await startLocalServer({
    port: 0,
    dataDir: opts.dataDir,
    // No compaction on a timer: the segment part builds them itself, between measurements.
    // The window lies months back: a retention that keeps it (segments of hours past it are not read).
    env: { MAX_CONCURRENT_SEARCHES: '16', COMPACTION_INTERVAL_SECONDS: '0', RETENTION_DAYS: '36500' },
  });
  try {
    let seedSeconds: number | undefined;
    if (!reuse) {
      const t = performance.now();
      await seed(server, opts.records, opts.query);
      seedSeconds = (performance.now() - t) / 1000;
      writeFileSync(marker, JSON.stringify(spec));
    }
    await seedQueryEvent(server, opts.query);
    const body = request(opts.photo);
    const lastHour = WINDOW_END_MS / BUCKET_MS - 1;
    const window = { first: lastHour - WINDOW_HOURS + 1, last: lastHour };
    const coldRuns = async () => {
      const out = [];
      for (let i = 0; i < opts.coldRuns; i++) {
        opts.dropCaches();
        out.push(await searchOnce(server.url, body));
      }
      return out;
    };
    // Items first (a reused store may hold the last run's segments), then the same searches on segments.
    await removeSegments(server, window);
    const coldItems = await coldRuns();
    const segments = await benchSegments(server, window, opts.coldRuns);
    const cold = await coldRuns();
    await searchOnce(server.url, body);
    const warm = [];
    for (let i = 0; i < opts.warmRuns; i++) warm.push(await searchOnce(server.url, body));
    const bodyLow = request(opts.photo, 'low');
    const warmLow = [];
    for (let i = 0; i < opts.warmRuns; i++) warmLow.push(await searchOnce(server.url, bodyLow));
    // Same window, same warm caches, the query from a stored event instead of a photo.
    const bodyEvent = windowRequest({ event_id: QUERY_EVENT_ID, fiqa_level: 'no' });
    await searchOnce(server.url, bodyEvent);
    const warmEvent = [];
    for (let i = 0; i < opts.warmRuns; i++) warmEvent.push(await searchOnce(server.url, bodyEvent));
    if (warmEvent[0].matches !== warm[0].matches) {
      throw new Error(`event search found ${warmEvent[0].matches} matches, photo search ${warm[0].matches}`);
    }
    const loads: LoadFigures[] = [];
    for (const l of opts.load) {
      loads.push(await load(server.url, body, l.connections, l.seconds));
      // autocannon stops with requests in flight; let them finish before the next step or the shutdown.
      await searchOnce(server.url, body);
    }
    return {
      records: opts.records,
      seedSeconds,
      segments,
      cold: runs(cold),
      coldItems: runs(coldItems),
      warm: runs(warm),
      warmLow: runs(warmLow),
      warmEvent: runs(warmEvent),
      matches: warm[0]?.matches ?? cold[0]?.matches ?? 0,
      examined: warm[0]?.examined ?? cold[0]?.examined ?? 0,
      load: loads,
    };
  } finally {
    await server.close();
  }
}
