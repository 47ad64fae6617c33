import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEmbedding, encodeEmbedding } from '../../functions/core/embeddingCodec';
import { compareScore, cosineForScore, cosineShift } from '../../functions/core/score';
import { meanTemplate } from '../../functions/core/template';
import type { FaceEngine } from '../../functions/core/face';
import { embedAll, listLabelled } from './faceSet';
import { dot, pairScores, ratesAt, rocCurve, sortedDesc, tarAtFar, type RocPoint } from './metrics';

export const DEFAULT_THRESHOLD = 82;

export interface PairListResult {
  pairs: number;
  yes: number;
  no: number;
  /** Pairs with a face found in both photos. */
  evaluated: number;
  accuracy_at_82: number;
  yes_below_82: string[];
  no_at_or_above_82: string[];
}

export interface Evaluation {
  images: number;
  identities: number;
  detection_failures: number;
  genuine_pairs: number;
  impostor_pairs: number;
  tar_at_far: { '1e-3': number; '1e-4': number; '1e-5': number };
  cosine_at_far: { '1e-3': number; '1e-4': number; '1e-5': number };
  at_score_82: { tar: number; far: number };
  /** The same figures with stored (int8) embeddings on one side, as the search compares them. */
  stored_int8: { tar_at_far_1e4: number; far_at_82: number; max_abs_cosine_error: number };
  pair_list?: PairListResult;
  /** Photos per query: 1 (pairs of photos) or K (templates of K photos against single photos). */
  query_photos: number;
  roc: RocPoint[];
  failed_files: string[];
}

/**
 * Embeds a folder laid out as <identity>/<image> and scores all genuine and impostor pairs; if the folder
 * has a deepface pair list (master.csv: file_x,file_y,Decision), scores those pairs too.
 */
export async function evaluateFolder(
  folder: string,
  engine: FaceEngine,
  opts: { cacheFile?: string; progress?: boolean; pairsCsv?: string; queryPhotos?: number } = {},
): Promise<Evaluation> {
  const k = opts.queryPhotos ?? 1;
  const images = listLabelled(folder);
  const results = await embedAll(
    engine,
    images.map((i) => i.path),
    opts,
  );
  const ok = images.map((img, i) => ({ img, r: results[i] })).filter((x) => 'embedding' in x.r);
  const vectors = ok.map((x) => (x.r as { embedding: Float32Array }).embedding);
  const labels = ok.map((x) => x.img.identity);
  const stored = vectors.map((v) => decodeEmbedding(encodeEmbedding(v)));
  // K = 1: every pair of photos. K > 1: templates of K photos (the normalised mean, as a search builds
  // them) against every photo not in the template: genuine for the identity's others, impostor for
  // every other identity's.
  const queries = k === 1 ? undefined : templatesOf(labels, vectors, k);
  const scoreAll = (photos: Float32Array[], onPair?: (s: number, i: number, j: number) => void) =>
    queries
      ? templateScores(queries, labels, photos, onPair && vectors)
      : pairScores(labels, (i, j) => {
          const s = dot(vectors[i], photos[j]);
          onPair?.(s, i, j);
          return s;
        });
  const { genuine, impostor } = scoreAll(vectors);
  const imp = sortedDesc(impostor);
  let maxErr = 0;
  const q = scoreAll(stored, (s, i, j) => {
    maxErr = Math.max(maxErr, Math.abs(s - dot(vectors[i], vectors[j])));
  });
  if (queries) maxErr = (q as { maxError?: number }).maxError ?? 0;
  const at = (f: number) => tarAtFar(genuine, imp, f);
  // As the search scores a query of k photos (a template's calibration).
  const cos82 = cosineForScore(DEFAULT_THRESHOLD, cosineShift(k));
  const evaluation: Evaluation = {
    images: images.length,
    identities: new Set(images.map((i) => i.identity)).size,
    detection_failures: images.length - ok.length,
    genuine_pairs: genuine.length,
    impostor_pairs: impostor.length,
    tar_at_far: { '1e-3': at(1e-3).tar, '1e-4': at(1e-4).tar, '1e-5': at(1e-5).tar },
    cosine_at_far: { '1e-3': at(1e-3).threshold, '1e-4': at(1e-4).threshold, '1e-5': at(1e-5).threshold },
    at_score_82: ratesAt(genuine, impostor, cos82),
    stored_int8: {
      tar_at_far_1e4: tarAtFar(q.genuine, sortedDesc(q.impostor), 1e-4).tar,
      far_at_82: ratesAt(q.genuine, q.impostor, cos82).far,
      max_abs_cosine_error: maxErr,
    },
    query_photos: k,
    roc: rocCurve(genuine, imp),
    failed_files: images.filter((_, i) => 'error' in results[i]).map((i) => i.rel),
  };
  const csv = opts.pairsCsv ?? join(folder, 'master.csv');
  if (existsSync(csv)) evaluation.pair_list = await scorePairList(folder, csv, engine, opts);
  return evaluation;
}

interface Template {
  identity: string;
  members: Set<number>;
  vector: Float32Array;
}

/**
 * Templates of k photos for each identity with more than k photos (so some photo is left to find): one
 * starting at each photo, taking the next k − 1 cyclically, so every photo is in k templates.
 */
export function templatesOf(labels: readonly string[], vectors: Float32Array[], k: number): Template[] {
  const byIdentity = new Map<string, number[]>();
  labels.forEach((l, i) => byIdentity.set(l, [...(byIdentity.get(l) ?? []), i]));
  const out: Template[] = [];
  for (const [identity, idx] of byIdentity) {
    if (idx.length <= k) continue;
    for (let s = 0; s < idx.length; s++) {
      const members = Array.from({ length: k }, (_, m) => idx[(s + m) % idx.length]);
      out.push({ identity, members: new Set(members), vector: meanTemplate(members.map((i) => vectors[i])) });
    }
  }
  return out;
}

/** Each template against every photo outside it: genuine if of its identity, impostor otherwise. */
export function templateScores(
  templates: Template[],
  labels: readonly string[],
  photos: Float32Array[],
  /** The photos' exact embeddings, when `photos` are their stored (int8) form: measures the error. */
  exact?: Float32Array[],
): { genuine: Float64Array; impostor: Float64Array; maxError?: number } {
  const genuine: number[] = [];
  const impostor: number[] = [];
  let maxError = 0;
  for (const t of templates) {
    for (let j = 0; j < photos.length; j++) {
      if (t.members.has(j)) continue;
      const s = dot(t.vector, photos[j]);
      if (exact) maxError = Math.max(maxError, Math.abs(s - dot(t.vector, exact[j])));
      (labels[j] === t.identity ? genuine : impostor).push(s);
    }
  }
  return { genuine: Float64Array.from(genuine), impostor: Float64Array.from(impostor), maxError };
}

/** Scores a deepface-style pair list; paths in it are relative to `folder`. */
export async function scorePairList(
  folder: string,
  csv: string,
  engine: FaceEngine,
  opts: { cacheFile?: string } = {},
): Promise<PairListResult> {
  const rows = readFileSync(csv, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(','))
    .map(([x, y, d]) => ({ x: x.trim(), y: y.trim(), yes: d.trim().toLowerCase() === 'yes' }));
  const files = [...new Set(rows.flatMap((r) => [r.x, r.y]))];
  const emb = await embedAll(
    engine,
    files.map((f) => join(folder, f)),
    { cacheFile: opts.cacheFile },
  );
  const byFile = new Map(files.map((f, i) => [f, emb[i]]));
  let evaluated = 0,
    correct = 0;
  const yesBelow: string[] = [],
    noAbove: string[] = [];
  for (const r of rows) {
    const a = byFile.get(r.x),
      b = byFile.get(r.y);
    if (!a || !b || !('embedding' in a) || !('embedding' in b)) continue;
    evaluated++;
    const score = compareScore(dot(a.embedding, b.embedding));
    const match = score >= DEFAULT_THRESHOLD;
    if (match === r.yes) correct++;
    else (r.yes ? yesBelow : noAbove).push(`${r.x}~${r.y}:${score.toFixed(1)}`);
  }
  return {
    pairs: rows.length,
    yes: rows.filter((r) => r.yes).length,
    no: rows.filter((r) => !r.yes).length,
    evaluated,
    accuracy_at_82: evaluated ? correct / evaluated : 0,
    yes_below_82: yesBelow,
    no_at_or_above_82: noAbove,
  };
}
