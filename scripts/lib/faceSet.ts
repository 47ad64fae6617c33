import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { SingleBar } from 'cli-progress';
import { FaceEngineError } from '../../functions/core/face';
import type { FaceEngine } from '../../functions/core/face';

export interface LabelledImage {
  path: string;
  /** Path relative to the set's folder, as pair lists name it. */
  rel: string;
  identity: string;
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

/**
 * Every labelled image of a folder laid out as <identity>/<image>, or listed in its manifest.csv
 * (columns path,identity; rows without an identity are skipped).
 */
export function listLabelled(folder: string): LabelledImage[] {
  const out: LabelledImage[] = [];
  const manifest = join(folder, 'manifest.csv');
  if (existsSync(manifest) && !readdirSync(folder).some((f) => statSync(join(folder, f)).isDirectory())) {
    const [head, ...rows] = readFileSync(manifest, 'utf8').split(/\r?\n/).filter(Boolean);
    const cols = head.split(',');
    const pi = cols.indexOf('path'),
      ii = cols.indexOf('identity');
    for (const r of rows) {
      const c = r.split(',');
      if (c[ii]) out.push({ path: join(folder, c[pi]), rel: c[pi], identity: c[ii] });
    }
    return out;
  }
  for (const id of readdirSync(folder).sort()) {
    const dir = join(folder, id);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) {
      if (IMAGE.test(f)) out.push({ path: join(dir, f), rel: relative(folder, join(dir, f)), identity: id });
    }
  }
  return out;
}

export type EmbedResult = { embedding: Float32Array } | { error: string };

/**
 * Embeds files with the engine (largest face, no quality gate), caching results on disk by file hash
 * and `cacheKey`, so repeated evaluations of the same engine settings cost nothing.
 */
export async function embedAll(
  engine: FaceEngine,
  files: string[],
  opts: { cacheFile?: string; progress?: boolean; concurrency?: number } = {},
): Promise<EmbedResult[]> {
  const cache: Record<string, string> =
    opts.cacheFile && existsSync(opts.cacheFile) ? JSON.parse(readFileSync(opts.cacheFile, 'utf8')) : {};
  const bar = opts.progress
    ? new SingleBar({ format: 'embedding {bar} {value}/{total} {eta}s left', stream: process.stderr })
    : undefined;
  bar?.start(files.length, 0);
  const out: EmbedResult[] = new Array<EmbedResult>(files.length);
  const embedOne = async (i: number) => {
    const bytes = readFileSync(files[i]);
    const key = createHash('sha1').update(bytes).digest('hex');
    const hit = cache[key];
    if (hit !== undefined) {
      out[i] = hit.startsWith('!') ? { error: hit.slice(1) } : { embedding: fromB64(hit) };
    } else {
      try {
        const face = await engine.analyzeQuery(bytes, 'no');
        out[i] = { embedding: face.embedding };
        cache[key] = toB64(face.embedding);
      } catch (err) {
        if (!(err instanceof FaceEngineError)) throw err;
        out[i] = { error: err.kind };
        cache[key] = '!' + err.kind;
      }
    }
    bar?.increment();
  };
  // Decoding (sharp) and the models (ONNX Runtime) run off the JS thread, so photos in flight on
  // every core finish the set about that many times sooner; each result keeps its file's index.
  let next = 0;
  const lane = async () => {
    while (next < files.length) await embedOne(next++);
  };
  const lanes = Math.max(1, opts.concurrency ?? availableParallelism());
  await Promise.all(Array.from({ length: Math.min(lanes, files.length) }, lane));
  bar?.stop();
  if (opts.cacheFile) {
    mkdirSync(dirname(opts.cacheFile), { recursive: true });
    writeFileSync(opts.cacheFile, JSON.stringify(cache));
  }
  return out;
}

function toB64(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function fromB64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
