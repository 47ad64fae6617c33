import { encodeEmbedding } from '../../functions/core/embeddingCodec';
import type { EventStore, StoredEvent } from '../../functions/store/types';
import { faceCrop, PEOPLE, type CropOptions } from './photos';

/** What the e2e suite put into the history, so tests can say what the page must show. */
export interface SeededEvent {
  eventId: string;
  identityName: string;
  timestampMs: number;
  deviceId: string;
  deviceName: string;
  userType: string;
}

export const DEVICES = [
  {
    media_device_id: 'gate-1',
    media_device_name: 'Main gate',
    media_device_ip: '10.0.0.11',
    media_device_type: 'photo',
  },
  {
    media_device_id: 'lobby-2',
    media_device_name: 'Lobby camera',
    media_device_ip: '10.0.0.12',
    media_device_type: 'rtsp',
  },
  {
    media_device_id: 'dock-3',
    media_device_name: 'Loading dock',
    media_device_ip: '10.0.0.13',
    media_device_type: 'rtsp',
  },
];

/** The same face as different cameras would see it: other framings, sizes and light. */
const TARGET_VIEWS: CropOptions[] = [
  { margin: 1.6, size: 300 },
  { margin: 2.2, size: 500 },
  { margin: 1.8, size: 260, brightness: 0.7 },
  { margin: 2.0, size: 360, brightness: 1.25 },
  { margin: 1.5, size: 220 },
  { margin: 2.5, size: 640, brightness: 0.9 },
];

export const TARGET_NAME = 'Ada Lindqvist';

/**
 * Posts events through the real ingest API (POST /sophon/v2/face/events): the target person at
 * `targetTimes` (each a different view of her face, on rotating devices) and one event of each other
 * person at `otherTimes`. Returns what was stored.
 */
export async function seedPeople(
  baseUrl: string,
  { targetTimes, otherTimes }: { targetTimes: number[]; otherTimes: number[] },
): Promise<{ targets: SeededEvent[]; others: SeededEvent[] }> {
  const targets: SeededEvent[] = [];
  const others: SeededEvent[] = [];
  const bodies: Record<string, unknown>[] = [];
  for (const [i, timestampMs] of targetTimes.entries()) {
    const device = DEVICES[i % DEVICES.length];
    const seeded = {
      eventId: `target-${i}`,
      identityName: TARGET_NAME,
      timestampMs,
      deviceId: device.media_device_id,
      deviceName: device.media_device_name,
      userType: i % 2 === 0 ? 'employee' : 'visitor',
    };
    targets.push(seeded);
    bodies.push(
      eventBody(seeded, await faceCrop(PEOPLE.target, TARGET_VIEWS[i % TARGET_VIEWS.length]), device),
    );
  }
  for (const [k, timestampMs] of otherTimes.entries()) {
    const device = DEVICES[(k + 1) % DEVICES.length];
    const seeded = {
      eventId: `other-${k}`,
      identityName: `Other person ${k + 1}`,
      timestampMs,
      deviceId: device.media_device_id,
      deviceName: device.media_device_name,
      userType: 'stranger',
    };
    others.push(seeded);
    bodies.push(eventBody(seeded, await faceCrop(PEOPLE.others[k % PEOPLE.others.length]), device));
  }
  // Batches of 5 keep each request small (base64 photos) without a round trip per event.
  for (let i = 0; i < bodies.length; i += 5) {
    const res = (await postJson(`${baseUrl}/sophon/v2/face/events`, { events: bodies.slice(i, i + 5) })) as {
      events: { event_id?: string; status?: string; error?: unknown }[];
    };
    const failed = res.events.filter((e) => e.status !== 'created');
    if (failed.length > 0) throw new Error(`ingest refused seed events: ${JSON.stringify(failed)}`);
  }
  return { targets, others };
}

function eventBody(e: SeededEvent, photo: Buffer, device: (typeof DEVICES)[number]): Record<string, unknown> {
  return {
    event_id: e.eventId,
    face_image_base64: photo.toString('base64'),
    timestamp: e.timestampMs,
    identity_name: e.identityName,
    user_type: e.userType,
    media_device_info: device,
  };
}

/**
 * `count` events of strangers spread evenly over [oldestMs, newestMs], written straight to the store in
 * bulk. They exist to be scanned: enough of them that one search call reaches the contract's 50,000-
 * record cap and the console has to "Load more". The ingest API only takes photos, and running the face
 * engine 50,000 times would take the best part of two hours, so their embeddings are random unit vectors
 * (cosine to any face ≈ 0 ± 0.05: they never match at a sane threshold).
 */
export async function seedCrowd(
  store: EventStore,
  { count, newestMs, oldestMs }: { count: number; newestMs: number; oldestMs: number },
): Promise<void> {
  const device = DEVICES[2];
  const step = (newestMs - oldestMs) / Math.max(1, count - 1);
  const batch: StoredEvent[] = [];
  for (let i = 0; i < count; i++) {
    const timestampMs = Math.round(newestMs - i * step);
    batch.push({
      eventId: `crowd-${i}`,
      timestampMs,
      deviceId: device.media_device_id,
      code: encodeEmbedding(randomUnitVector()),
      doc: {
        timestamp: timestampMs / 1000,
        identity_name: 'stranger',
        identity_id: '',
        register_image_id: '',
        recognize_face_image_id: '',
        spot_image_id: '',
        user_type: 'stranger',
        media_device_info: device,
        recognize_face_attr: {},
      },
    });
  }
  await store.putMany(batch, { pointers: false });
}

function randomUnitVector(): Float32Array {
  const v = new Float32Array(512);
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] = Math.random() - 0.5;
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

export async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(data)}`);
  return data;
}
