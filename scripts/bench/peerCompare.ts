/**
 * Part 5: the peer beside our engine on the same photos: embedding latency per photo size, and accuracy
 * on the labelled dev set (TAR at FAR 1e-3 / 1e-4 over all pairs, with the same metrics module).
 */
import { readFileSync } from 'node:fs';
import { FaceEngineError } from '../../functions/core/face';
import type { FaceEngine } from '../../functions/core/face';
import { type LabelledImage, listLabelled } from '../lib/faceSet';
import { dot, pairScores, sortedDesc, tarAtFar } from '../lib/metrics';
import type { HumanPeer } from './peer';
import type { QueryPhoto } from './photos';
import { type Summary, summarize } from './stats';

export interface PeerLatency {
  photo: string;
  ours: Summary;
  peer: Summary;
  peerDecode: Summary;
  peerDescribe: Summary;
}

export interface Accuracy {
  images: number;
  identities: number;
  noFace: number;
  genuinePairs: number;
  impostorPairs: number;
  tarAtFar1e3: number;
  tarAtFar1e4: number;
  /** Wall time per photo while embedding the set. */
  msPerPhoto: number;
}

export interface PeerFigures {
  backend: string;
  latency: PeerLatency[];
  /** Which part of the dev set was used: all of it, or the photos of its first identities. */
  subset: string;
  ours?: Accuracy;
  peer?: Accuracy;
}

export async function benchPeerLatency(
  engine: FaceEngine,
  peer: HumanPeer,
  photos: QueryPhoto[],
  runs: number,
): Promise<PeerLatency[]> {
  const out: PeerLatency[] = [];
  for (const p of photos) {
    // Each engine in a block of its own, after a warm-up: interleaving them let the peer's garbage
    // collection land in our timings.
    for (let i = 0; i < 2; i++) await engine.analyzeQuery(p.bytes, 'no');
    const ours: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await engine.analyzeQuery(p.bytes, 'no');
      ours.push(performance.now() - t);
    }
    for (let i = 0; i < 2; i++) await peer.embed(p.bytes);
    const peerRuns: Array<{ decodeMs: number; describeMs: number; totalMs: number }> = [];
    for (let i = 0; i < runs; i++) peerRuns.push((await peer.embed(p.bytes)).timings);
    out.push({
      photo: p.name,
      ours: summarize(ours),
      peer: summarize(peerRuns.map((r) => r.totalMs)),
      peerDecode: summarize(peerRuns.map((r) => r.decodeMs)),
      peerDescribe: summarize(peerRuns.map((r) => r.describeMs)),
    });
  }
  return out;
}

/** The dev set, or the photos of its first `identities` identities (alphabetical) when given. */
export function devSubset(folder: string, identities?: number): { images: LabelledImage[]; subset: string } {
  const all = listLabelled(folder);
  if (!identities) return { images: all, subset: `all ${all.length} photos of ${folder}` };
  const keep = new Set([...new Set(all.map((i) => i.identity))].sort().slice(0, identities));
  const images = all.filter((i) => keep.has(i.identity));
  return {
    images,
    subset: `the ${images.length} photos of the first ${identities} identities (alphabetical) of ${folder}`,
  };
}

/** TAR at FAR over all pairs of the photos in which `embed` finds a face. */
export async function accuracy(
  images: LabelledImage[],
  embed: (bytes: Buffer) => Promise<Float32Array>,
): Promise<Accuracy> {
  const vectors: Float32Array[] = [];
  const labels: string[] = [];
  let noFace = 0;
  const t = performance.now();
  for (const img of images) {
    try {
      vectors.push(await embed(readFileSync(img.path)));
      labels.push(img.identity);
    } catch (err) {
      if (!(err instanceof FaceEngineError)) throw err;
      noFace++;
    }
  }
  const msPerPhoto = (performance.now() - t) / images.length;
  const { genuine, impostor } = pairScores(labels, (i, j) => dot(vectors[i], vectors[j]));
  const imp = sortedDesc(impostor);
  return {
    images: images.length,
    identities: new Set(images.map((i) => i.identity)).size,
    noFace,
    genuinePairs: genuine.length,
    impostorPairs: impostor.length,
    tarAtFar1e3: tarAtFar(genuine, imp, 1e-3).tar,
    tarAtFar1e4: tarAtFar(genuine, imp, 1e-4).tar,
    msPerPhoto,
  };
}
