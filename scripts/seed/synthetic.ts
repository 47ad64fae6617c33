import { randomUUID } from 'node:crypto';
import { encodeEmbedding, EMBEDDING_DIM } from '../../functions/core/embeddingCodec';
import type { EventDoc } from '../../functions/core/event';
import type { StoredEvent } from '../../functions/store/types';

/** A random unit vector (Gaussian components, so directions are uniform). */
export function randomUnit(random: () => number = Math.random): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM);
  let norm = 0;
  for (let i = 0; i < EMBEDDING_DIM; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const a = 2 * Math.PI * random();
    v[i] = r * Math.cos(a);
    if (i + 1 < EMBEDDING_DIM) v[i + 1] = r * Math.sin(a);
  }
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  for (let i = 0; i < EMBEDDING_DIM; i++) v[i] /= norm;
  return v;
}

/** `target` plus noise, renormalized: cosine to target ≈ 1 / sqrt(1 + noise²). */
export function near(target: Float32Array, noise: number, random: () => number = Math.random): Float32Array {
  const n = randomUnit(random);
  const v = target.map((x, i) => x + noise * n[i]);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** A stored event with no images: scale tests and background load for the demo. */
export function syntheticEvent(
  timestampMs: number,
  deviceId: string,
  embedding: Float32Array,
  fields: Partial<EventDoc> = {},
  eventId = `syn-${randomUUID()}`,
): StoredEvent {
  return {
    eventId,
    timestampMs,
    deviceId,
    code: encodeEmbedding(embedding),
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
