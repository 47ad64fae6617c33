/**
 * npm run bench [-- --quick] [--out DIR] [--faces DIR] [--no-search] [--no-peer]
 *
 * Query embedding per photo size and stage, scoring kernels against the memory floor and a plain JS loop,
 * cold and warm searches over a 50,000-record window on the local server, concurrent clients, and the
 * peer (@vladmandic/human) on the same photos and labelled faces. Writes report.md, report.json and
 * chart.png to --out and prints one JSON line last (medians, ms).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { getFaceEngine } from '../functions/face';
import { DEFAULT_ENGINE, OnnxFaceEngine } from '../functions/face/engine';
import { ModelSessions } from '../functions/face/sessions';
import { config } from '../functions/shared/config';
import { dropSearchCaches } from '../functions/history/hourCache';
import { benchStages, partialDecodeAgreement } from './bench/engineStages';
import { HumanPeer } from './bench/peer';
import { type PeerFigures, accuracy, benchPeerLatency, devSubset } from './bench/peerCompare';
import { queryPhotos } from './bench/photos';
import { type BenchReport, chartSpec, markdown, summaryLine } from './bench/report';
import { benchJob } from './bench/jobs';
import { benchScoring } from './bench/scoring';
import { benchLongWindow } from './bench/longWindow';
import { benchBigHour } from './bench/bigHour';
import { benchSearch } from './bench/search';
import { renderPng } from './lib/plot';

const REPO = resolve(__dirname, '..');

const program = new Command()
  .option('--quick', 'fewer runs, no 1M scoring, a fixed subset of the labelled faces (< 2 minutes)')
  .option('--out <dir>', 'where to write report.md, report.json and chart.png', 'build/bench')
  .option('--faces <dir>', 'the labelled face sets (dev/ inside)', resolve(REPO, '../shared/faces'))
  .option('--no-search', 'skip the local-server searches (parts 3 and 4)')
  .option('--no-peer', 'skip the peer (part 5)')
  .option('--no-job', 'skip the search job over 1,000,000 records (part 6)')
  .parse();

const PLANS = {
  quick: {
    stageRuns: 10,
    scoringSizes: [10_000, 50_000],
    scoringRuns: 15,
    coldRuns: 3,
    warmRuns: 10,
    load: [{ connections: 4, seconds: 5 }],
    peerRuns: 5,
    accuracyIdentities: 20 as number | undefined,
  },
  full: {
    stageRuns: 30,
    scoringSizes: [10_000, 50_000, 1_000_000],
    scoringRuns: 30,
    coldRuns: 10,
    warmRuns: 30,
    load: [
      { connections: 1, seconds: 10 },
      { connections: 4, seconds: 15 },
      { connections: 8, seconds: 15 },
    ],
    peerRuns: 15,
    accuracyIdentities: undefined as number | undefined,
  },
};

async function main(): Promise<void> {
  const o = program.opts<{
    quick?: boolean;
    out: string;
    faces: string;
    search: boolean;
    peer: boolean;
    job: boolean;
  }>();
  const mode = o.quick ? 'quick' : 'full';
  const plan = PLANS[mode];
  const t0 = performance.now();
  const log = (msg: string) =>
    console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(0)}s] ${msg}`);
  const dev = join(o.faces, 'dev');
  const engine = getFaceEngine();
  const photos = await queryPhotos(join(REPO, 'build/fixtures/photos'), dev);

  const report: BenchReport = {
    command: `npm run bench${o.quick ? ' -- --quick' : ''}`,
    mode,
    startedAt: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      loadAverage: loadavg(),
    },
    stages: [],
    scoring: [],
    durationSeconds: 0,
  };

  log('1. query embedding by stage');
  // At the default fiqa_level (low), whose angle check runs the pose model; 'no' skips it (below).
  report.stages = await benchStages(engine, photos, plan.stageRuns, { level: 'low' });
  report.noPose = await benchStages(
    engine,
    photos.filter((p) => p.width >= 1920),
    plan.stageRuns,
  );
  // The whole decode (EngineOptions.partialDecode off) on the photos the partial decode changes, and how
  // far the partial decode moves the output on the six group photos.
  const whole = new OnnxFaceEngine(new ModelSessions(config().MODEL_DIR, config().ORT_THREADS), {
    ...DEFAULT_ENGINE,
    partialDecode: false,
  });
  report.wholeDecode = {
    stages: await benchStages(
      whole,
      photos.filter((p) => p.width >= 1280),
      plan.stageRuns,
      { level: 'low' },
    ),
    agreement: await partialDecodeAgreement(
      whole,
      engine,
      [1, 2, 3, 4, 5, 6].map((n) => readFileSync(join(REPO, `build/fixtures/photos/sample${n}.jpg`))),
    ),
  };

  log('2. scoring kernels');
  report.scoring = await benchScoring(plan.scoringSizes, plan.scoringRuns, 1_000_000);

  if (o.search) {
    log('3-4. searches on the local server');
    const q1920 = photos.find((p) => p.name === '1920x1280')!;
    report.search = await benchSearch({
      photo: q1920.bytes,
      query: (await engine.analyzeQuery(q1920.bytes, 'no')).embedding,
      records: 50_000,
      dataDir: join(REPO, 'build/bench/store-50000'),
      coldRuns: plan.coldRuns,
      warmRuns: plan.warmRuns,
      load: plan.load,
      dropCaches: dropSearchCaches,
    });
    log('4c. a 10-year window over one week of history');
    report.longWindow = await benchLongWindow({
      photo: q1920.bytes,
      query: (await engine.analyzeQuery(q1920.bytes, 'no')).embedding,
      perHour: 100,
      dataDir: join(REPO, 'build/bench/store-week'),
      coldRuns: plan.coldRuns,
      dropCaches: dropSearchCaches,
    });
    log('4d. one hour of 150,000 events, compacted into pieces');
    report.bigHour = await benchBigHour({
      photo: q1920.bytes,
      dataDir: join(REPO, 'build/bench/store-bighour'),
      coldRuns: plan.coldRuns,
      dropCaches: dropSearchCaches,
    });
  }

  if (o.peer) {
    log('5. peer');
    const peer = await HumanPeer.create();
    const figures: PeerFigures = {
      backend: await peer.backend(),
      latency: await benchPeerLatency(engine, peer, photos, plan.peerRuns),
      subset: 'none (labelled faces not found)',
    };
    try {
      const { images, subset } = devSubset(dev, plan.accuracyIdentities);
      figures.subset = subset;
      log(`5. accuracy on ${images.length} photos`);
      figures.ours = await accuracy(images, async (b) => (await engine.analyzeQuery(b, 'no')).embedding);
      figures.peer = await accuracy(images, async (b) => (await peer.embed(b)).embedding);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      log(`labelled faces not found at ${dev}: accuracy skipped`);
    }
    report.peer = figures;
  }

  if (o.job) {
    log('6. a search job over 1,000,000 records');
    const q1920 = photos.find((p) => p.name === '1920x1280')!;
    report.job = await benchJob({
      photo: q1920.bytes,
      query: (await engine.analyzeQuery(q1920.bytes, 'no')).embedding,
      dataDir: join(REPO, 'build/bench/store-job-1m'),
      runs: o.quick ? 3 : 5,
      log,
    });
  }

  report.durationSeconds = (performance.now() - t0) / 1000;
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'report.json'), JSON.stringify(report, null, 2));
  writeFileSync(join(o.out, 'report.md'), markdown(report));
  await renderPng(chartSpec(report), join(o.out, 'chart.png'));
  log(`wrote ${join(o.out, 'report.md')}, report.json, chart.png`);
  console.log(JSON.stringify(summaryLine(report)));
}

main().then(
  // The peer's WebAssembly backend and the server's sockets can keep the loop alive; the report is written.
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
