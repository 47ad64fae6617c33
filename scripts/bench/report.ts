import type { LongWindowFigures } from './longWindow';
import type { BigHourFigures } from './bigHour';
import type { JobFigures } from './jobs';
import type { PartialDecodeAgreement, StageFigures } from './engineStages';
import type { Accuracy, PeerFigures } from './peerCompare';
import type { ScoringFigures } from './scoring';
import type { SearchFigures } from './search';
import { round, type Summary } from './stats';

export interface BenchReport {
  command: string;
  mode: 'quick' | 'full';
  startedAt: string;
  machine: { cpu: string; cores: number; node: string; loadAverage: number[] };
  stages: StageFigures[];
  /** The engine with partialDecode off, at the same level as `stages`. */
  wholeDecode?: { stages: StageFigures[]; agreement: PartialDecodeAgreement };
  /** The default engine at fiqa_level 'no' (no pose model). */
  noPose?: StageFigures[];
  scoring: ScoringFigures[];
  search?: SearchFigures;
  /** A 10-year window over one week of history, segments built (longWindow.ts). */
  longWindow?: LongWindowFigures;
  /** One hour of 150,000 events in pieces, searched cold (bigHour.ts). */
  bigHour?: BigHourFigures;
  peer?: PeerFigures;
  job?: JobFigures;
  durationSeconds: number;
}

const ms = (s: Summary | undefined) => (s && s.runs ? `${round(s.median, 2)} / ${round(s.p95, 2)}` : '–');
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

const stageRow = (s: StageFigures) =>
  `| ${s.photo} | ${ms(s.total)} | ${ms(s.stages.decodeMs)} | ${ms(s.stages.detectMs)} | ${ms(s.stages.landmarkMs)} | ${ms(s.stages.alignMs)} | ${ms(s.stages.embedMs)} | ${ms(s.stages.poseMs)} | ${s.total.runs} |`;
const STAGE_HEAD = [
  '| photo | total | decode | detect | landmarks | align | embed | pose | runs |',
  '|---|---|---|---|---|---|---|---|---|',
];

function variantsSection(r: BenchReport): string[] {
  const L: string[] = [];
  if (r.noPose?.length) {
    L.push(
      'At fiqa_level `no`, which checks no angle, so the pose model is not run:',
      '',
      ...STAGE_HEAD,
      ...r.noPose.map(stageRow),
      '',
    );
  }
  const w = r.wholeDecode;
  if (w) {
    const cos = [...w.agreement.cosines].sort((a, b) => a - b);
    L.push(
      'With `partialDecode: false` (the whole working image decoded; the default decodes a reduced',
      "detector input while decoding and then only the face's neighbourhood at full resolution), at level low:",
      '',
      ...STAGE_HEAD,
      ...w.stages.map(stageRow),
      '',
      `On the ${w.agreement.photos} group photos, the query embedding of the two paths agrees to cosine ${cos.map((c) => c.toFixed(4)).join(', ')} (the lowest: sample2's half-profile face); the face count differs on ${w.agreement.faceCountDiffers} photo(s).`,
      '',
    );
  }
  return L;
}

/** The one line `npm run bench` prints last: medians in milliseconds. */
export function summaryLine(r: BenchReport): Record<string, number | null> {
  const s50 = r.scoring.find((s) => s.n === 50_000);
  const e1920 = r.stages.find((s) => s.photo === '1920x1280');
  const p1920 = r.peer?.latency.find((l) => l.photo === '1920x1280');
  const v = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? null : round(x, 3));
  return {
    score_50k_ms: v(s50?.kernel.median),
    memory_floor_50k_ms: v(s50?.memoryFloor.median),
    js_loop_50k_ms: v(s50?.jsLoop?.median),
    score_50k_copying_ms: v(s50?.kernelCopying.median),
    embed_1920_ms: v(e1920?.total.median),
    embed_1920_no_pose_ms: v(r.noPose?.find((s) => s.photo === '1920x1280')?.total.median),
    embed_1920_whole_decode_ms: v(r.wholeDecode?.stages.find((s) => s.photo === '1920x1280')?.total.median),
    peer_embed_1920_ms: v(p1920?.peer.median),
    warm_search_50k_ms: v(r.search?.warm.totalTimeMs.median),
    warm_search_50k_low_ms: v(r.search?.warmLow.totalTimeMs.median),
    event_search_50k_ms: v(r.search?.warmEvent?.totalTimeMs.median),
    event_search_50k_http_ms: v(r.search?.warmEvent?.httpMs.median),
    cold_search_50k_ms: v(r.search?.cold.totalTimeMs.median),
    warm_search_50k_http_ms: v(r.search?.warm.httpMs.median),
    warm_search_50k_scan_ms: v(r.search?.warm.scanMs.median),
    cold_search_50k_http_ms: v(r.search?.cold.httpMs.median),
    cold_search_50k_items_ms: v(r.search?.coldItems?.totalTimeMs.median),
    compaction_50k_ms: v(r.search?.segments?.compactionMs.median),
    segments_read_50k_ms: v(r.search?.segments?.segmentsReadMs.median),
    segments_dynamodb_read_50k_ms: v(r.search?.segments?.segmentsDynamoReadMs.median),
    cold_10y_week_ms: v(r.longWindow?.restartedMs),
    cold_10y_week_dropped_ms: v(r.longWindow?.coldMs.median),
    cold_search_150k_hour_1min_ms: v(r.bigHour?.minuteMs.median),
    cold_search_150k_hour_1min_records_read: v(r.bigHour?.minuteRecordsRead),
    cold_search_150k_hour_whole_ms: v(r.bigHour?.hourMs.median),
    cold_search_150k_hour_whole_records_read: v(r.bigHour?.hourRecordsRead),
    items_read_50k_ms: v(r.search?.segments?.itemsReadMs.median),
    job_1m_ms: v(r.job?.jobMs.median),
    job_1m_records_per_s_per_worker: v(r.job?.recordsPerSecondPerWorker.median),
    ours_tar_at_far_1e4: v(r.peer?.ours?.tarAtFar1e4),
    peer_tar_at_far_1e4: v(r.peer?.peer?.tarAtFar1e4),
  };
}

function accuracyRow(name: string, a: Accuracy | undefined): string {
  if (!a) return `| ${name} | – | – | – | – | – |`;
  return `| ${name} | ${a.images - a.noFace} of ${a.images} | ${pct(a.tarAtFar1e3)} | ${pct(a.tarAtFar1e4)} | ${a.impostorPairs.toLocaleString('en')} | ${round(a.msPerPhoto, 1)} |`;
}

export function markdown(r: BenchReport): string {
  const L: string[] = [
    `# Benchmark (${r.mode})`,
    '',
    `\`${r.command}\`, started ${r.startedAt}, ${round(r.durationSeconds, 1)} s. ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}, load average at start ${r.machine.loadAverage.map((x) => round(x, 2)).join(' / ')}.`,
    'Every figure comes from this one run on this machine; times are median / p95 in milliseconds.',
    '',
    '## 1. Query embedding (analyzeQuery at the default fiqa_level low, single thread)',
    '',
    ...STAGE_HEAD,
    ...r.stages.map(stageRow),
    '',
    ...r.stages.map((s) => `- ${s.photo}: ${s.source}.`),
    '',
    ...variantsSection(r),
    '## 2. Scoring stored embeddings (one core)',
    '',
    '| N | bytes | memory floor | WASM kernel | kernel, rows copied in | plain JS loop | kernel records/s | kernel GB/s | floor GB/s | kernel ÷ floor |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.scoring.map(
      (s) =>
        `| ${s.n.toLocaleString('en')} | ${(s.bytes / 1e6).toFixed(1)} MB | ${ms(s.memoryFloor)} | ${ms(s.kernel)} | ${ms(s.kernelCopying)} | ${ms(s.jsLoop)} | ${(s.recordsPerSecond / 1e6).toFixed(1)} M | ${round(s.gbPerSecond, 1)} | ${round(s.floorGbPerSecond, 1)} | ${round(s.timesFloor, 2)}× |`,
    ),
    '',
    'Memory floor: a WebAssembly pass that only reads the same bytes (16-byte loads OR-ed together). ' +
      `Largest difference between the kernel and the plain JS loop over the first rows: ${r.scoring.map((s) => s.maxAbsError.toExponential(1)).join(', ')} (cosine).`,
  ];
  if (r.search) {
    const s = r.search;
    L.push(
      '',
      `## 3. Search over a ${s.records.toLocaleString('en')}-record window (local server: dynalite, HTTP on loopback)`,
      '',
      `Query: the 1920×1280 photo; ${s.examined.toLocaleString('en')} records examined, ${s.matches} matches.` +
        (s.seedSeconds !== undefined
          ? ` Seeding the store took ${round(s.seedSeconds, 1)} s.`
          : ' Store reused from an earlier run.'),
      '',
      '| search | total_time | of which face engine | of which history scan | HTTP latency | runs |',
      '|---|---|---|---|---|---|',
      `| cold (caches emptied, hours from their segments in the S3 stand-in) | ${ms(s.cold.totalTimeMs)} | ${ms(s.cold.faceMs)} | ${ms(s.cold.scanMs)} | ${ms(s.cold.httpMs)} | ${s.cold.httpMs.runs} |`,
      ...(s.coldItems
        ? [
            `| cold, segments not built (hours from their items in the DynamoDB stand-in) | ${ms(s.coldItems.totalTimeMs)} | ${ms(s.coldItems.faceMs)} | ${ms(s.coldItems.scanMs)} | ${ms(s.coldItems.httpMs)} | ${s.coldItems.httpMs.runs} |`,
          ]
        : []),
      `| warm (hour buckets cached) | ${ms(s.warm.totalTimeMs)} | ${ms(s.warm.faceMs)} | ${ms(s.warm.scanMs)} | ${ms(s.warm.httpMs)} | ${s.warm.httpMs.runs} |`,
      `| warm, fiqa_level low (the default: pose model run) | ${ms(s.warmLow.totalTimeMs)} | ${ms(s.warmLow.faceMs)} | ${ms(s.warmLow.scanMs)} | ${ms(s.warmLow.httpMs)} | ${s.warmLow.httpMs.runs} |`,
      ...(s.warmEvent
        ? [
            `| warm, from a stored event (event_id: the stored embedding, no photo, no model) | ${ms(s.warmEvent.totalTimeMs)} | ${ms(s.warmEvent.faceMs)} | ${ms(s.warmEvent.scanMs)} | ${ms(s.warmEvent.httpMs)} | ${s.warmEvent.httpMs.runs} |`,
          ]
        : []),
      '',
      'Cold and warm rows: fiqa_level `no`. The face engine runs beside the search slot and the first history reads, so face and scan need not add up to total_time.',
      '',
      '## 4. Concurrent clients (autocannon, same request)',
      '',
      '| connections | seconds | requests/s | p50 ms | p99 ms | non-2xx | errors |',
      '|---|---|---|---|---|---|---|',
      ...s.load.map(
        (l) =>
          `| ${l.connections} | ${l.seconds} | ${round(l.requestsPerSecond, 2)} | ${l.p50Ms} | ${l.p99Ms} | ${l.non2xx} | ${l.errors} |`,
      ),
    );
    const g = s.segments;
    if (g) {
      L.push(
        '',
        `## 4b. History segments (${g.records.toLocaleString('en')} records in ${g.hours} hours, ${(g.segmentBytes / 1e6).toFixed(1)} MB packed)`,
        '',
        'Reads of the whole window, cold (no process cache), three hours at a time as the search reads ahead.',
        '',
        '| what | median / p95 ms | runs |',
        '|---|---|---|',
        `| building the segments (compactor run) | ${ms(g.compactionMs)} | ${g.compactionMs.runs} |`,
        `| reading the segments from S3 (s3rver), with the versions | ${ms(g.segmentsReadMs)} | ${g.segmentsReadMs.runs} |`,
        `| reading the same bytes as DynamoDB items ≤ 400 KB (dynalite) | ${ms(g.segmentsDynamoReadMs)} | ${g.segmentsDynamoReadMs.runs} |`,
        `| reading the items (all shards, merged and packed) | ${ms(g.itemsReadMs)} | ${g.itemsReadMs.runs} |`,
      );
    }
  }
  if (r.peer) {
    const p = r.peer;
    L.push(
      '',
      `## 5. Peer: @vladmandic/human, ${p.backend}`,
      '',
      '| photo | ours | peer | peer decode | peer detect + mesh + descriptor | peer ÷ ours |',
      '|---|---|---|---|---|---|',
      ...p.latency.map(
        (l) =>
          `| ${l.photo} | ${ms(l.ours)} | ${ms(l.peer)} | ${ms(l.peerDecode)} | ${ms(l.peerDescribe)} | ${round(l.peer.median / l.ours.median, 1)}× |`,
      ),
      '',
      `Accuracy on ${p.subset}:`,
      '',
      '| engine | photos with a face | TAR @ FAR 1e-3 | TAR @ FAR 1e-4 | impostor pairs | ms per photo |',
      '|---|---|---|---|---|---|',
      accuracyRow('ours', p.ours),
      accuracyRow('peer', p.peer),
    );
  }
  if (r.job) {
    const j = r.job;
    L.push(
      '',
      `## 6. A search job over ${j.records.toLocaleString('en')} records (${j.hours} hours from their segments, ${j.pieces} pieces, ${j.workers} worker threads)`,
      '',
      '| what | median / p95 | runs |',
      '|---|---|---|',
      `| POST to done, ms | ${ms(j.jobMs)} | ${j.jobMs.runs} |`,
      `| records per second per worker (pieces' records over the workers' time on them) | ${ms(j.recordsPerSecondPerWorker)} | ${j.recordsPerSecondPerWorker.runs} |`,
      '',
      `${j.matches} matches per job; load average after the runs ${j.loadAverage.map((x) => round(x, 2)).join(' / ')}.`,
    );
  }
  L.push('', '![chart](chart.png)', '');
  return L.join('\n');
}

/** Two bar charts: scoring 50k (floor, kernel, JS loop) and query embedding per photo (ours, peer). */
export function chartSpec(r: BenchReport): Record<string, unknown> {
  const s50 = r.scoring.find((s) => s.n === 50_000);
  const scoring = s50
    ? [
        { what: 'memory floor', ms: s50.memoryFloor.median },
        { what: 'WASM kernel', ms: s50.kernel.median },
        { what: 'kernel, copying', ms: s50.kernelCopying.median },
        { what: 'plain JS loop', ms: s50.jsLoop?.median ?? null },
      ].filter((d) => d.ms !== null && !Number.isNaN(d.ms))
    : [];
  const embed = r.stages.flatMap((s) => {
    const peer = r.peer?.latency.find((l) => l.photo === s.photo);
    return [
      // Beside the peer, our figure from the same part of the run as the peer's.
      { photo: s.photo, engine: 'ours', ms: peer?.ours.median ?? s.total.median },
      ...(peer ? [{ photo: s.photo, engine: 'peer (human)', ms: peer.peer.median }] : []),
    ];
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}: medians`,
    hconcat: [
      {
        title: 'Scoring 50,000 embeddings (ms)',
        width: 260,
        height: 220,
        data: { values: scoring },
        mark: 'bar',
        encoding: {
          x: { field: 'what', type: 'nominal', sort: null, title: null },
          y: { field: 'ms', type: 'quantitative', title: 'ms' },
        },
      },
      {
        title: 'Query embedding per photo (ms)',
        width: 300,
        height: 220,
        data: { values: embed },
        mark: 'bar',
        encoding: {
          x: { field: 'photo', type: 'nominal', sort: null, title: null },
          xOffset: { field: 'engine' },
          color: { field: 'engine', type: 'nominal' },
          y: { field: 'ms', type: 'quantitative', title: 'ms' },
        },
      },
    ],
  };
}
