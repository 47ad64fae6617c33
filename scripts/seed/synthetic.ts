import { randomUUID } from 'node:crypto';
import { encodeEmbedding, EMBEDDING_DIM } from '../../functions/core/embeddingCodec';
import type { EventDoc } from '../../functions/core/event';
import type { StoredEvent } from '../../functions/store/types';

// Local bindings: global lookups are slow inside jest's VM context, and the tests draw millions of these.
const { sqrt, log, cos, sin, PI } = Math;

function normalize(v: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  norm = sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

/** A random unit vector (Gaussian components, so directions are uniform). */
export function randomUnit(random: () => number = Math.random): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM);
  for (let i = 0; i < EMBEDDING_DIM; i += 2) {
    const r = sqrt(-2 * log(1 - random()));
    const a = 2 * PI * random();
    v[i] = r * cos(a);
    if (i + 1 < EMBEDDING_DIM) v[i + 1] = r * sin(a);
  }
  return normalize(v);
}

/** `target` plus noise, renormalized: cosine to target ≈ 1 / sqrt(1 + noise²). */
export function near(target: Float32Array, noise: number, random: () => number = Math.random): Float32Array {
  const v = randomUnit(random);
  for (let i = 0; i < v.length; i++) v[i] = target[i] + noise * v[i];
  return normalize(v);
}

/** A stored event with no images: scale tests and background load for the demo. */
export function syntheticEvent(
  timestampMs: number,
  deviceId: string,
  /** The embedding, or its already encoded 516-byte form (lets bulk fixtures reuse codes). */
  embedding: Float32Array | Uint8Array,
  fields: Partial<EventDoc> = {},
  eventId = `syn-${randomUUID()}`,
): StoredEvent {
  return {
    eventId,
    timestampMs,
    deviceId,
    code: embedding instanceof Float32Array ? encodeEmbedding(embedding) : embedding,
    doc: {
      timestamp: timestampMs / 1000,
      identity_name: 'stranger',
      identity_id: '',
      register_image_id: '',
      recognize_face_image_id: '',
      spot_image_id: '',
      user_type: 'stranger',
      media_device_info: {
        media_device_id: deviceId,
        media_device_name: `Camera ${deviceId}`,
        media_device_ip: '',
        media_device_type: 'rtsp',
      },
      recognize_face_attr: {},
      ...fields,
    },
  };
}
