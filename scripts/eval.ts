/**
 * npm run eval -- <folder> [--out DIR] [--pairs master.csv] [--query-photos K]
 * Embeds every <identity>/<image> of the folder, scores all pairs (or, with --query-photos K > 1,
 * templates of K photos of an identity against every other photo), writes report.md and roc.png to
 * --out, and prints one JSON line last.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_ENGINE, OnnxFaceEngine } from '../functions/face/engine';
import { ModelSessions } from '../functions/face/sessions';
import { config } from '../functions/shared/config';
import { type Evaluation, evaluateFolder } from './lib/evaluate';
import { renderPng } from './lib/plot';

const program = new Command()
  .argument('<folder>', 'images laid out as <identity>/<image>')
  .option('--out <dir>', 'where to write report.md and roc.png', 'build/eval')
  .option(
    '--pairs <csv>',
    'a deepface pair list (file_x,file_y,Decision); default: <folder>/master.csv if present',
  )
  .option(
    '--feature-channels <order>',
    'experiment: rgb or bgr into fr_feature',
    DEFAULT_ENGINE.featureChannels,
  )
  .option('--detect-channels <order>', 'experiment: rgb or bgr into fr_detect', DEFAULT_ENGINE.detectChannels)
  .option('--flip', 'experiment: average with the mirrored face', DEFAULT_ENGINE.flipAugment)
  .option('--no-cache', 'embed every image again')
  .option(
    '--query-photos <k>',
    'photos per query: K > 1 scores templates of K photos (as face_images_base64) against single photos',
    (v) => {
      const k = Number(v);
      if (!Number.isInteger(k) || k < 1 || k > 5) throw new Error('--query-photos: must be 1 to 5');
      return k;
    },
    1,
  )
  .parse();

async function main(): Promise<void> {
  const [folder] = program.args;
  const o = program.opts<{
    out: string;
    pairs?: string;
    featureChannels: 'rgb' | 'bgr';
    detectChannels: 'rgb' | 'bgr';
    flip: boolean;
    cache: boolean;
    queryPhotos: number;
  }>();
  const engineOpts = {
    ...DEFAULT_ENGINE,
    featureChannels: o.featureChannels,
    detectChannels: o.detectChannels,
    flipAugment: o.flip,
    expression: false,
  };
  const engine = new OnnxFaceEngine(new ModelSessions(config().MODEL_DIR, config().ORT_THREADS), engineOpts);
  const variant = `feature-${o.featureChannels}-detect-${o.detectChannels}${engineOpts.letterbox ? '-letterbox' : '-stretch'}${o.flip ? '-flip' : ''}`;
  const result = await evaluateFolder(resolve(folder), engine, {
    progress: process.stderr.isTTY,
    pairsCsv: o.pairs,
    queryPhotos: o.queryPhotos,
    cacheFile: o.cache ? join('build/cache', `embeddings-${variant}.json`) : undefined,
  });
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'report.md'), report(folder, variant, result));
  await renderPng(rocSpec(result), join(o.out, 'roc.png'));
  console.error(`report: ${join(o.out, 'report.md')}, ${join(o.out, 'roc.png')}`);
  const { roc: _roc, failed_files: _f, ...summary } = result;
  console.log(JSON.stringify({ variant, ...summary }));
}

function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}

function report(folder: string, variant: string, r: Evaluation): string {
  const lines = [
    `# Face verification: ${folder}`,
    '',
    `Engine variant: ${variant}. ${r.images} images of ${r.identities} identities; no face found in ${r.detection_failures}.`,
    r.query_photos > 1
      ? `Queries are templates of ${r.query_photos} photos against single photos: ${r.genuine_pairs} genuine and ${r.impostor_pairs} impostor comparisons.`
      : `${r.genuine_pairs} genuine and ${r.impostor_pairs} impostor pairs.`,
    '',
    '| FAR | TAR | cosine threshold |',
    '|---|---|---|',
    ...(['1e-3', '1e-4', '1e-5'] as const).map(
      (k) => `| ${k} | ${pct(r.tar_at_far[k])} | ${r.cosine_at_far[k].toFixed(4)} |`,
    ),
    '',
    `At compare_score 82 (the default threshold): TAR ${pct(r.at_score_82.tar)}, FAR ${r.at_score_82.far.toExponential(2)}.`,
    '',
    '![ROC](roc.png)',
  ];
  if (r.pair_list) {
    const p = r.pair_list;
    lines.push(
      '',
      `## Pair list (${p.pairs} pairs: ${p.yes} Yes, ${p.no} No)`,
      '',
      `Both faces found in ${p.evaluated} pairs; accuracy at 82: ${pct(p.accuracy_at_82)}.`,
      `Yes pairs below 82: ${p.yes_below_82.join(', ') || 'none'}.`,
      `No pairs at or above 82: ${p.no_at_or_above_82.join(', ') || 'none'}.`,
    );
  }
  if (r.failed_files.length) lines.push('', `No face found: ${r.failed_files.join(', ')}`);
  return lines.join('\n') + '\n';
}

function rocSpec(r: Evaluation): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 480,
    height: 320,
    title: `ROC: ${r.images} images, ${r.impostor_pairs} impostor pairs`,
    data: { values: r.roc },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'far', type: 'quantitative', scale: { type: 'log' }, title: 'false accept rate' },
      y: { field: 'tar', type: 'quantitative', scale: { domain: [0, 1] }, title: 'true accept rate' },
    },
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
