/**
 * Search time over a 50,000-record window on the local store (dynalite + s3rver in this process, a
 * temporary data folder): writes the events, then times searches over HTTP. The first search is cold
 * (models load, first DynamoDB reads); the rest are warm. `--hours` spreads the events over more
 * hours; `--window-years` searches a window of that many years ending now (most of it empty).
 *
 *   npm run bench:search [-- --records 50000 --runs 5]
 *   npm run bench:search -- --records 16800 --hours 168 --window-years 10   # a week of data, 10 years
 */
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeEmbedding } from '../functions/core/embeddingCodec';
import { startLocalServer } from '../functions/local/server';
import { randomUnit, syntheticEvent } from './seed/synthetic';

async function main(): Promise<void> {
  const o = new Command()
    .option('--records <n>', 'events in the window', Number, 50_000)
    .option('--runs <n>', 'warm searches', Number, 5)
    .option('--hours <n>', 'hours the events are spread over, ending now', Number, 24)
    .option('--window-years <n>', 'search a window of this many years ending now (default: the data)', Number)
    .parse()
    .opts<{ records: number; runs: number; hours: number; windowYears?: number }>();
  const dataDir = mkdtempSync(join(tmpdir(), 'sfs-bench-'));
  const server = await startLocalServer({
    port: 0,
    dataDir,
    env: { DYNAMODB_ENDPOINT: '', S3_ENDPOINT: '' },
  });
  try {
    const end = Date.now();
    const start = end - o.hours * 3_600_000;
    const step = (end - start) / o.records;
    let t = performance.now();
    for (let done = 0; done < o.records; done += 5000) {
      const batch = Array.from({ length: Math.min(5000, o.records - done) }, (_, k) =>
        syntheticEvent(Math.floor(start + (done + k) * step), `cam-${k % 4}`, encodeEmbedding(randomUnit())),
      );
      await server.services.events.putMany(batch, { pointers: false });
    }
    console.log(`wrote ${o.records} events in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const body = JSON.stringify({
      face_image_base64: readFileSync(join(__dirname, '../build/fixtures/photos/sample1.jpg')).toString(
        'base64',
      ),
      starttime: o.windowYears ? end - Math.round(o.windowYears * 365.25 * 86_400_000) : start,
      endtime: end,
    });
    const times: Array<{ wall: number; total: number; examined: number }> = [];
    for (let i = 0; i <= o.runs; i++) {
      t = performance.now();
      const res = await fetch(`${server.url}/sophon/v2/face/searchbyimage`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      const out = (await res.json()) as {
        total_time: number;
        records_examined: number;
        have_more: boolean;
        timings: { face_ms: number; scan_ms: number };
      };
      times.push({
        wall: (performance.now() - t) / 1000,
        total: out.total_time,
        examined: out.records_examined,
      });
      console.log(
        `${i === 0 ? 'cold' : 'warm'}: ${times[i].wall.toFixed(2)} s over HTTP, total_time ${out.total_time.toFixed(2)} s, ` +
          `(face ${out.timings.face_ms} ms, scan ${out.timings.scan_ms} ms), ${out.records_examined} records examined, ` +
          `have_more ${out.have_more}`,
      );
    }
    const warm = times
      .slice(1)
      .map((x) => x.wall)
      .sort((a, b) => a - b);
    console.log(`warm median ${warm[Math.floor(warm.length / 2)].toFixed(2)} s (${warm.length} runs)`);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
