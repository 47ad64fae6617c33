/**
 * The measurements behind the functions' memory and timeout (docs/deploy.md): one process, as one
 * Lambda container, ORT_THREADS=1 as deployed. Cold = first call (model sessions load); warm = after.
 *
 *   npx tsx infra/measureSizing.ts [photos...]    default: build/fixtures/photos/sample1..6.jpg
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getFaceEngine } from '../functions/face';

const root = resolve(__dirname, '..');
const photos = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [1, 2, 3, 4, 5, 6].map((n) => join(root, `build/fixtures/photos/sample${n}.jpg`));

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const images = photos.map((p) => readFileSync(p));
  const engine = getFaceEngine();
  console.log(`baseline rss ${mb(process.memoryUsage().rss)} MB; ${images.length} photos`);

  const coldQuery = await time(() => engine.analyzeQuery(images[0], 'no'));
  const coldEvent = await time(() => engine.analyzeEvent(images[0]));
  const query: number[] = [];
  const event: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const img of images) {
      query.push(await time(() => engine.analyzeQuery(img, 'no')));
      event.push(await time(() => engine.analyzeEvent(img)));
    }
  }
  const maxRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    `analyzeQuery: cold ${coldQuery.toFixed(0)} ms, warm p50 ${pct(query, 0.5).toFixed(0)} ms, p95 ${pct(query, 0.95).toFixed(0)} ms`,
  );
  console.log(
    `analyzeEvent: cold ${coldEvent.toFixed(0)} ms, warm p50 ${pct(event, 0.5).toFixed(0)} ms, p95 ${pct(event, 0.95).toFixed(0)} ms`,
  );
  console.log(`peak rss ${mb(maxRss)} MB (all sessions loaded)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
