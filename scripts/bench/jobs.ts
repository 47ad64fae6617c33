/**
 * A search job over 1,000,000 synthetic records (docs/speed.md, "Search jobs"): from the POST to the
 * state `done`, on the local server with its worker pool, every hour served from its segment. The store
 * is built once under build/bench/store-job-1m and reused: 100 settled hours of 10,000 records, each
 * packed straight into its segment (encodeSegment, SegmentStore.put) with its hour directory entry
 * written to match (the compactor would take minutes to read 1M items out of dynalite). The table holds
 * the directory and the items of the planted matches only (their event JSON is what a match returns).
 */
import { BatchWriteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeEmbedding } from '../../functions/core/embeddingCodec';
import type { HistoryRecord } from '../../functions/core/scan';
import { BUCKET_MS } from '../../functions/core/timeWindow';
import { encodeSegment } from '../../functions/history/segmentFormat';
import { createSegmentStore } from '../../functions/history/services';
import type { PieceMarker } from '../../functions/jobs/jobStore';
import type { PieceTask } from '../../functions/jobs/localRunner';
import { startLocalServer } from '../../functions/local/server';
import { hourDirectoryPk, hourDirectorySk } from '../../functions/store/keys';
import { near, randomUnit, syntheticEvent } from '../seed/synthetic';
import { type Summary, summarize } from './stats';

export interface JobFigures {
  records: number;
  hours: number;
  workers: number;
  pieces: number;
  matches: number;
  /** POST sent to the GET that first answers `done`. */
  jobMs: Summary;
  /** Records per second per worker: the pieces' records over the time workers spent on them. */
  recordsPerSecondPerWorker: Summary;
  loadAverage: number[];
}

const HOURS = 100;
const PER_HOUR = 10_000;
const MATCHES_PER_HOUR = 3;
const VERSION = '1';

interface Seeded {
  firstHour: number;
  records: number;
  /** The query face the matches were planted around (a store seeded for another face is rebuilt). */
  query: string;
}

const fingerprint = (q: Float32Array) => Array.from(q.subarray(0, 8), (x) => x.toFixed(4)).join(',');

async function seed(dataDir: string, target: Float32Array): Promise<Seeded> {
  const marker = join(dataDir, 'bench-job.json');
  if (existsSync(marker)) {
    const s = JSON.parse(readFileSync(marker, 'utf8')) as Seeded;
    // Segments are served only within retention (90 days): an older store is rebuilt.
    if (s.firstHour * BUCKET_MS > Date.now() - 60 * 86_400_000 && s.query === fingerprint(target)) return s;
    rmSync(dataDir, { recursive: true, force: true });
  }
  const server = await startLocalServer({ port: 0, dataDir, env: { COMPACTION_INTERVAL_SECONDS: '0' } });
  try {
    const firstHour = Math.floor(Date.now() / BUCKET_MS) - 48 - HOURS; // settled, two days back
    let seedN = 11;
    const random = () => (seedN = (Math.imul(seedN, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const pool = Array.from({ length: 500 }, () => encodeEmbedding(randomUnit(random)));
    const segments = createSegmentStore(server.config, server.services.clients);
    for (let h = 0; h < HOURS; h++) {
      const hour = firstHour + h;
      const records: HistoryRecord[] = [];
      const matches = [];
      for (let i = 0; i < PER_HOUR; i++) {
        const ts = hour * BUCKET_MS + Math.floor((i * BUCKET_MS) / PER_HOUR);
        const eventId = `b${hour}-${String(i).padStart(5, '0')}`;
        const match = i % Math.floor(PER_HOUR / MATCHES_PER_HOUR) === 7;
        const device = `cam-${i % 8}`;
        const code = match ? encodeEmbedding(near(target, 0.3, random)) : pool[(i * 7 + h) % pool.length];
        records.push({ timestamp: ts, eventId, deviceId: device, code, doc: '' });
        if (match) matches.push(syntheticEvent(ts, device, code, {}, eventId));
      }
      // The matches' items (their event JSON), then the directory entry the segment is built at.
      await server.services.events.putMany(matches, { pointers: false });
      const put: WriteRequest = {
        PutRequest: {
          Item: {
            pk: { S: hourDirectoryPk(hour) },
            sk: { S: hourDirectorySk(hour) },
            v: { N: VERSION },
            s: { NS: [...new Set(matches.map((_, k) => String(k % server.config.BUCKET_SHARDS)))] },
            n: { N: String(PER_HOUR) },
            expiresAt: { N: String(Math.floor(Date.now() / 1000) + 90 * 86_400) },
          },
        },
      };
      await server.services.clients.dynamo.send(
        new BatchWriteItemCommand({ RequestItems: { [server.config.EVENTS_TABLE]: [put] } }),
      );
      await segments.put(hour, VERSION, encodeSegment(hour, VERSION, records));
    }
    const s: Seeded = { firstHour, records: HOURS * PER_HOUR, query: fingerprint(target) };
    writeFileSync(marker, JSON.stringify(s));
    return s;
  } finally {
    await server.close();
  }
}

/**
 * `runs` jobs over the whole window (fiqa_level no: the engine's part is the same as a search's), each
 * timed from the POST to `done` by polling every 10 ms, with the workers' piece times.
 */
export async function benchJob(opts: {
  photo: Buffer;
  query: Float32Array;
  dataDir: string;
  runs: number;
  log: (msg: string) => void;
}): Promise<JobFigures> {
  const s = await seed(opts.dataDir, opts.query);
  const server = await startLocalServer({
    port: 0,
    dataDir: opts.dataDir,
    env: { COMPACTION_INTERVAL_SECONDS: '0' },
  });
  try {
    const jobMs: number[] = [];
    const rates: number[] = [];
    let pieces = 0;
    let matches = 0;
    const body = JSON.stringify({
      face_image_base64: opts.photo.toString('base64'),
      fiqa_level: 'no',
      starttime: s.firstHour * BUCKET_MS,
      endtime: (s.firstHour + HOURS) * BUCKET_MS - 1,
    });
    // One untimed job first: worker threads start (and load their modules) once per server.
    for (let run = 0; run <= opts.runs; run++) {
      let busyMs = 0;
      let records = 0;
      const onDone = (task: PieceTask, _m: PieceMarker, ms: number) => {
        busyMs += ms;
        records += task.piece.records;
      };
      server.jobRunner.pool.on('done', onDone);
      const t0 = performance.now();
      const res = await fetch(`${server.url}/sophon/v2/face/searchjobs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      const started = (await res.json()) as { job_id: string };
      if (res.status !== 202) throw new Error(`job refused: ${JSON.stringify(started)}`);
      let state = 'running';
      let page: { state: string; records_examined: number; events: unknown[]; truncated: boolean } = {
        state,
        records_examined: 0,
        events: [],
        truncated: false,
      };
      while (state === 'running') {
        await new Promise((r) => setTimeout(r, 10));
        page = (await (
          await fetch(`${server.url}/sophon/v2/face/searchjobs/${started.job_id}`)
        ).json()) as typeof page;
        state = page.state;
      }
      const ms = performance.now() - t0;
      server.jobRunner.pool.off('done', onDone);
      if (
        state !== 'done' ||
        page.records_examined !== s.records ||
        page.events.length !== HOURS * MATCHES_PER_HOUR
      ) {
        throw new Error(
          `job ended ${state} after ${page.records_examined} records, ${page.events.length} matches`,
        );
      }
      matches = page.events.length;
      opts.log(`job over ${s.records} records: ${Math.round(ms)} ms, ${matches} matches`);
      if (run === 0) continue;
      jobMs.push(ms);
      rates.push((records / busyMs) * 1000);
    }
    pieces = Math.ceil(s.records / server.config.JOB_PIECE_RECORDS);
    return {
      records: s.records,
      hours: HOURS,
      workers: server.config.JOB_WORKERS,
      pieces,
      matches,
      jobMs: summarize(jobMs),
      recordsPerSecondPerWorker: summarize(rates),
      loadAverage: loadavg(),
    };
  } finally {
    await server.close();
  }
}
