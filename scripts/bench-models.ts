/**
 * The query engine with its models placed three ways (ORT_WORKERS none / all / attributes), one process,
 * interleaved so the machine's load falls on each alike; medians of `analyzeQuery` in ms.
 *
 *   npx tsx scripts/bench-models.ts [-- --runs 25 --photo build/fixtures/photos/sample1.jpg]
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { DEFAULT_ENGINE, OnnxFaceEngine } from '../functions/face/engine';
import { WorkerModelSessions } from '../functions/face/modelWorkers';
import { ModelSessions } from '../functions/face/sessions';
import { config } from '../functions/shared/config';
import { summarize } from './bench/stats';

async function main(): Promise<void> {
  const o = new Command()
    .option('--runs <n>', 'queries per placement and level', Number, 25)
    .option('--photo <file>', 'query photo', 'build/fixtures/photos/sample1.jpg')
    .parse()
    .opts<{ runs: number; photo: string }>();
  const photo = readFileSync(o.photo);
  const dir = config().MODEL_DIR;
  const all = new WorkerModelSessions(dir, 1, 'all');
  const attributes = new WorkerModelSessions(dir, 1, 'attributes');
  const engines = {
    none: new OnnxFaceEngine(new ModelSessions(dir, 1), DEFAULT_ENGINE),
    all: new OnnxFaceEngine(all, DEFAULT_ENGINE),
    attributes: new OnnxFaceEngine(attributes, DEFAULT_ENGINE),
  };
  const times: Record<string, number[]> = {};
  for (let i = 0; i < o.runs + 2; i++) {
    for (const [name, engine] of Object.entries(engines)) {
      for (const level of ['no', 'low'] as const) {
        const t = performance.now();
        const q = await engine.analyzeQuery(photo, level);
        const ms = performance.now() - t;
        if (i < 2) continue; // sessions loading
        (times[`${name} ${level}`] ??= []).push(ms);
        if (level === 'low') (times[`${name} pose waited after embed`] ??= []).push(q.timings.poseMs);
      }
    }
  }
  for (const [k, v] of Object.entries(times)) {
    const s = summarize(v);
    console.log(`${k.padEnd(34)} ${JSON.stringify(s)}`);
  }
  await Promise.all([all.close(), attributes.close()]);
}

void main();
