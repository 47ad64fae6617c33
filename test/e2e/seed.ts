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
  headers: Record<string, string> = {},
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
    const res = (await postJson(
      `${baseUrl}/sophon/v2/face/events`,
      { events: bodies.slice(i, i + 5) },
      headers,
    )) as { events: { event_id?: string; status?: string; error?: unknown }[] };
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

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(data)}`);
  return data;
}
