import { BUCKET_MS, hourLabel, hourOf, sortKey } from '../core/timeWindow';

/**
 * Table layout (one table, string keys pk/sk, TTL attribute expiresAt):
 *
 * | item | pk | sk |
 * |---|---|---|
 * | event | `EV#<yyyyMMddHH>#<shard>` | `<ms, 13 digits>#<eventId>` |
 * | event pointer (idempotency, delete by id) | `EVENT#<eventId>` | `EVENT` |
 * | search lease slot | `LEASE#search` | `slot#<n>` |
 * | hour directory + write version (attribute v, bumped by every event write or delete) | `HV#<yyyy>` | `<yyyyMMddHH>` |
 * | write or erase intent (an ingest or DELETE under way, or stopped part-way) | `INTENT#<n>` | `<eventId>` |
 * | search job, and a marker per finished piece (functions/jobs/jobStore.ts) | `JOB#<jobId>` | `JOB`, `P#<piece>` |
 * | local index of jobs (the local sweep's list) | `JOB#index` | `<jobId>` |
 *
 * The hour directory lists, per UTC year, the hours that have held events: a search finds the non-empty
 * hours of a long window with one Query per year instead of a request per hour. Its `v` validates cached
 * hours. An entry is created before an event is written (and bumped again after), so a stored event's
 * hour is always listed; an hour emptied by deletes keeps its entry, which costs a search nothing.
 */
export const POINTER_SK = 'EVENT';
export const LEASE_PK = 'LEASE#search';
/** Partition-key prefixes of event records and of event pointers (IAM conditions name them with `*`). */
export const EVENT_PK_PREFIX = 'EV#';
export const POINTER_PK_PREFIX = 'EVENT#';
/** Partition-key prefixes of the hour directory (per year) and of the intents (per shard). */
export const HOUR_DIRECTORY_PK_PREFIX = 'HV#';
export const INTENT_PK_PREFIX = 'INTENT#';
/** Partition-key prefix of the search jobs' items (the job, its pieces' markers, the local index). */
export const JOB_PK_PREFIX = 'JOB#';

/**
 * Bucket layout (IMAGE_BUCKET): `incoming/<file>` uploads that trigger ingest (S3 notifications filter on
 * it; deleted once stored), `images/<imageId>` stored face crops and scene images, `erasures/<eventId>`
 * the erasure list, `segments/<yyyyMMddHH>/<version>.seg` the history segments, `jobs/<jobId>/<piece>.json`
 * the search jobs' results. Infra grants, filters and expires on these same constants.
 */
export const UPLOAD_PREFIX = 'incoming/';
export const IMAGE_PREFIX = 'images/';
/** The erasure list (store/erasureLog.ts): `erasures/<event_id>`, empty objects, kept outside the table. */
export const ERASURE_PREFIX = 'erasures/';
/**
 * History segments (functions/history/segmentStore.ts), one object per hour and write version. The
 * version in the key lets a reader ask for exactly the current one (a stale segment is never downloaded)
 * and lets a listing tell stale from current.
 */
export const SEGMENT_PREFIX = 'segments/';
/** Search job piece results (functions/jobs/jobStore.ts): one object per piece, so a retried piece overwrites itself. */
export const JOB_PREFIX = 'jobs/';

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
  return `${EVENT_PK_PREFIX}${hourLabel(hour)}#${shard}`;
}

export function eventKey(timestampMs: number, eventId: string, shards: number): { pk: string; sk: string } {
  return { pk: eventPk(hourOf(timestampMs), shardOf(eventId, shards)), sk: sortKey(timestampMs, eventId) };
}

/** The directory partition of the year an hour falls in. */
export function hourDirectoryPk(hour: number): string {
  return `${HOUR_DIRECTORY_PK_PREFIX}${hourLabel(hour).slice(0, 4)}`;
}

/** An hour's entry in its directory partition (`yyyyMMddHH`: lexical order is time order). */
export function hourDirectorySk(hour: number): string {
  return hourLabel(hour);
}

export function hourFromDirectorySk(sk: string): number {
  return hourOf(Date.UTC(+sk.slice(0, 4), +sk.slice(4, 6) - 1, +sk.slice(6, 8), +sk.slice(8, 10)));
}

/** UTC years (as their first hour and last hour) covering hours [first, last], in scan order. */
export function directoryYears(first: number, last: number, reverse: boolean): Array<[number, number]> {
  const years: Array<[number, number]> = [];
  for (let h = first; h <= last;) {
    const y = new Date(h * BUCKET_MS).getUTCFullYear();
    const end = Math.min(last, hourOf(Date.UTC(y + 1, 0, 1)) - 1);
    years.push([h, end]);
    h = end + 1;
  }
  return reverse ? years.reverse() : years;
}

/** Intents are spread over this many partitions, whatever BUCKET_SHARDS is, so reconcile knows them all. */
export const INTENT_SHARDS = 8;

export function intentPk(shard: number): string {
  return `${INTENT_PK_PREFIX}${shard}`;
}

export function intentKey(eventId: string): { pk: string; sk: string } {
  return { pk: intentPk(shardOf(eventId, INTENT_SHARDS)), sk: eventId };
}

export function pointerPk(eventId: string): string {
  return `${POINTER_PK_PREFIX}${eventId}`;
}

/** Sort-key bounds selecting every event in [fromMs, toMs] (inclusive ms). */
export function skBounds(fromMs: number, toMs: number): { lo: string; hi: string } {
  // Id characters lie between '-' (0x2D) and 'z' (0x7A), so '<ms>#~' sorts after every key of that ms.
  return { lo: `${String(fromMs).padStart(13, '0')}#`, hi: `${String(toMs).padStart(13, '0')}#~` };
}

export function parseSk(sk: string): { timestampMs: number; eventId: string } {
  return { timestampMs: Number(sk.slice(0, 13)), eventId: sk.slice(14) };
}
