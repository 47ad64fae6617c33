/**
 * POST /sophon/v2/face/detect over HTTP on the local server: what the console waits for after an upload.
 * One cold call (models load), then warm calls on a one-face photo and on a group photo (every face is
 * verified, so it costs more per face). Prints each case's p50 and p95 in ms.
 *
 *   npx tsx scripts/bench-detect.ts [--runs 20]
 */
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { startLocalServer } from '../functions/local/server';

const PHOTOS = join(__dirname, '../build/fixtures/photos');

async function main(): Promise<void> {
  const o = new Command()
    .option('--runs <n>', 'warm calls per photo', Number, 20)
    .parse()
    .opts<{ runs: number }>();
  const dataDir = mkdtempSync(join(tmpdir(), 'sfs-bench-detect-'));
  const server = await startLocalServer({
    port: 0,
    dataDir,
    env: { DYNAMODB_ENDPOINT: '', S3_ENDPOINT: '' },
  });
  try {
    const group = readFileSync(join(PHOTOS, 'sample1.jpg'));
    // The centre woman of sample1 (test/e2e/photos.ts), as a 420 px single-face photo.
    const single = await sharp(group)
      .extract({ left: 722, top: 329, width: 419, height: 419 })
      .resize(420, 420)
      .jpeg({ quality: 90 })
      .toBuffer();
    const call = async (photo: Buffer) => {
      const t = performance.now();
      const res = await fetch(`${server.url}/sophon/v2/face/detect`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ face_image_base64: photo.toString('base64') }),
      });
      const body = (await res.json()) as { faces?: unknown[] };
      if (!res.ok) throw new Error(`detect answered ${res.status}`);
      return { ms: performance.now() - t, faces: body.faces?.length ?? 0 };
    };
    const cold = await call(single);
    console.log(`cold (first call of the process): ${cold.ms.toFixed(0)} ms`);
    for (const [name, photo] of [
      ['one face, 420x420', single],
      ['group photo sample1.jpg', group],
    ] as const) {
      const times: number[] = [];
      let faces = 0;
      for (let i = 0; i < o.runs; i++) ({ ms: times[i], faces } = await call(photo));
      times.sort((a, b) => a - b);
      const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(0);
      console.log(`${name} (${faces} faces): p50 ${q(0.5)} ms, p95 ${q(0.95)} ms over ${o.runs} calls`);
    }
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
