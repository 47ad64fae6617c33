import { hourLabel, hourOf, sortKey } from '../core/timeWindow';

/**
 * Table layout (one table, string keys pk/sk, TTL attribute expiresAt):
 *
 * | item | pk | sk |
 * |---|---|---|
 * | event | `EV#<yyyyMMddHH>#<shard>` | `<ms, 13 digits>#<eventId>` |
 * | event pointer (idempotency, delete by id) | `EVENT#<eventId>` | `EVENT` |
 * | search lease slot | `LEASE#search` | `slot#<n>` |
 * | hour write version (validates cached hours; attribute v, bumped by every event write or delete) | `HV#<yyyyMMddHH>` | `V` |
 * | write or erase intent (an ingest or DELETE under way, or stopped part-way) | `INTENT#<n>` | `<eventId>` |
 */
export const POINTER_SK = 'EVENT';
export const LEASE_PK = 'LEASE#search';
export const HOUR_VERSION_SK = 'V';

/** FNV-1a: a stable, cheap spread of event ids over shards. */
export function shardOf(eventId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) {
    h ^= eventId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

export function eventPk(hour: number, shard: number): string {
  return `EV#${hourLabel(hour)}#${shard}`;
}

export function eventKey(timestampMs: number, eventId: string, shards: number): { pk: string; sk: string } {
  return { pk: eventPk(hourOf(timestampMs), shardOf(eventId, shards)), sk: sortKey(timestampMs, eventId) };
}

export function hourVersionPk(hour: number): string {
  return `HV#${hourLabel(hour)}`;
}

export function hourFromVersionPk(pk: string): number {
  const label = pk.slice(3);
  return hourOf(
    Date.UTC(+label.slice(0, 4), +label.slice(4, 6) - 1, +label.slice(6, 8), +label.slice(8, 10)),
  );
}

/** Intents are spread over this many partitions, whatever BUCKET_SHARDS is, so reconcile knows them all. */
export const INTENT_SHARDS = 8;

export function intentPk(shard: number): string {
  return `INTENT#${shard}`;
}

export function intentKey(eventId: string): { pk: string; sk: string } {
  return { pk: intentPk(shardOf(eventId, INTENT_SHARDS)), sk: eventId };
}

export function pointerPk(eventId: string): string {
  return `EVENT#${eventId}`;
}

/** Sort-key bounds selecting every event in [fromMs, toMs] (inclusive ms). */
export function skBounds(fromMs: number, toMs: number): { lo: string; hi: string } {
  // Id characters lie between '-' (0x2D) and 'z' (0x7A), so '<ms>#~' sorts after every key of that ms.
  return { lo: `${String(fromMs).padStart(13, '0')}#`, hi: `${String(toMs).padStart(13, '0')}#~` };
}

export function parseSk(sk: string): { timestampMs: number; eventId: string } {
  return { timestampMs: Number(sk.slice(0, 13)), eventId: sk.slice(14) };
}
