import type { QuerySource } from '../core/contract';
import { decodeEmbedding } from '../core/embeddingCodec';
import { ContractError, isContractError, translateFaceErrors } from '../core/errors';
import { cosineShift } from '../core/score';
import { meanTemplate } from '../core/template';
import type { FaceEngine, FiqaLevel, QueryFace } from '../core/face';
import { assertPassesGate } from '../core/qualityGate';
import type { ImagePathPolicy } from '../core/imagePath';
import { readImageSource } from '../store/imageSource';
import type { Services } from '../store/services';

/** What the query needs before a model runs: photo bytes, or an embedding already stored. */
export type QueryInput =
  { kind: 'photos'; photos: Buffer[]; listed: boolean } | { kind: 'stored'; embedding: Float32Array };

/** The embedding searched for, and the faces it came from (none for a stored event). */
export interface QueryEmbedding {
  embedding: Float32Array;
  faces: QueryFace[];
  /** What compare_score subtracts from a cosine: a template's calibration (core/score.ts). */
  cosineShift: number;
}

/**
 * Reads the query's input without running a model (so it may run beside the slot's acquisition):
 * the photo of a path, the photos of a list, or an event's stored embedding (pointer, then record).
 * An unknown event is NOT_FOUND.
 */
export async function readQueryInput(
  source: QuerySource,
  services: Services,
  imageOptions: ImagePathPolicy,
  maxBytes: number,
): Promise<QueryInput> {
  if (source.kind === 'photos') return { kind: 'photos', photos: source.photos, listed: true };
  if (source.kind === 'event') {
    const pointer = await services.events.find(source.eventId);
    // A pointer whose record is gone is an erasure under way: the event no longer exists.
    const code = pointer && (await services.events.embeddingOf(pointer));
    if (!code) throw new ContractError('NOT_FOUND', 'event_id: no event has this id');
    return { kind: 'stored', embedding: decodeEmbedding(code) };
  }
  const bytes = await readImageSource(source, imageOptions, services.images, maxBytes);
  return { kind: 'photos', photos: [bytes], listed: false };
}

/**
 * The query embedding: a stored one as is; one photo's largest face; or the template (normalised mean)
 * of several photos' largest faces, each through the quality gate, an error naming the photo's index.
 */
export async function embedQuery(
  input: QueryInput,
  engine: FaceEngine,
  fiqaLevel: FiqaLevel,
): Promise<QueryEmbedding> {
  if (input.kind === 'stored') return { embedding: input.embedding, faces: [], cosineShift: 0 };
  const faces: QueryFace[] = [];
  // One after another: the engine already uses the process's cores for each photo.
  for (const [i, bytes] of input.photos.entries()) {
    try {
      const face = await translateFaceErrors(engine.analyzeQuery(bytes, fiqaLevel));
      assertPassesGate(face.quality, fiqaLevel);
      faces.push(face);
    } catch (err) {
      if (!input.listed || !isContractError(err)) throw err;
      throw new ContractError(err.code, `face_images_base64[${i}]: ${err.message}`);
    }
  }
  const embedding = faces.length === 1 ? faces[0].embedding : meanTemplate(faces.map((f) => f.embedding));
  return { embedding, faces, cosineShift: cosineShift(faces.length) };
}
