import type { EventDoc } from '../core/event';
import type { HistoryReader, HistoryRecord } from '../core/scan';
import type { ScanRange } from '../core/timeWindow';

/** What a search reads: records of a time range, in order, optionally only some devices'. */
export interface HistoryQuery {
  range: ScanRange;
  reverse: boolean;
  deviceIds?: string[];
  /** Aborted when the search's caller is gone: reads in flight are cancelled. */
  signal?: AbortSignal;
}

/** An event ready to be written: its fields, its compact embedding and its device. */
export interface StoredEvent {
  eventId: string;
  timestampMs: number;
  /** When it was ingested: retention counts from the earlier of this and the event time. */
  ingestedAtMs?: number;
  deviceId: string;
  code: Uint8Array;
  doc: EventDoc;
}

/** The key of an event's record: its id and time. */
export interface EventLocation {
  eventId: string;
  timestampMs: number;
}

/** Where an event lives, for delete-by-id and idempotency. */
export interface EventPointer extends EventLocation {
  imageIds: string[];
}

/**
 * The history of recognition events. Each event is a record (what searches read) plus a pointer (by id:
 * idempotency, delete by id). Written record first, pointer last; erased record first, pointer last.
 */
export interface EventStore {
  /** Writes an event unless one with its id exists: 'duplicate' then, and nothing changes. */
  put(event: StoredEvent): Promise<'created' | 'duplicate'>;
  /** Many events at once (bulk seeding, tests); ids are assumed new. Without pointers they cannot be deleted by id. */
  putMany(events: StoredEvent[], opts?: { pointers?: boolean }): Promise<void>;
  find(eventId: string): Promise<EventPointer | undefined>;
  /** Removes the event's record, then its pointer; undefined when there was none. */
  delete(eventId: string): Promise<EventPointer | undefined>;
  /** Removes the record only (searches stop finding it); nothing happens if it is absent. */
  deleteRecord(event: EventLocation): Promise<void>;
  /** Removes the pointer only: the last step of an erasure. */
  deletePointer(eventId: string): Promise<void>;
  /** The record's stored embedding (516-byte code); undefined when the record is absent. */
  embeddingOf(event: EventLocation): Promise<Uint8Array | undefined>;
  /** Whether the record exists (strongly consistent). */
  recordExists(event: EventLocation): Promise<boolean>;
  /** The history of a window in scan order: block by block for the scan, record by record for tools. */
  records(query: HistoryQuery): HistoryReader & AsyncIterable<HistoryRecord>;
  /** True when the store holds no event at all (the local server's first-run hint). */
  isEmpty(): Promise<boolean>;
}

export interface StoredImage {
  bytes: Buffer;
  contentType: string;
}

/** A stored image as a listing shows it. */
export interface ListedImage {
  imageId: string;
  lastModified: Date;
}

/** Face crops and scene images by id, plus reading query photos by key. */
export interface ImageStore {
  /** `eventTimestampMs` is kept with the image, so a reconcile can find the event record it belongs to. */
  put(
    imageId: string,
    bytes: Buffer,
    contentType: string,
    meta?: { eventTimestampMs?: number; retentionDays?: number },
  ): Promise<void>;
  get(imageId: string): Promise<StoredImage | undefined>;
  delete(imageIds: string[]): Promise<void>;
  /** Every stored image, page by page (reconcile). */
  list(): AsyncIterable<ListedImage[]>;
  /** The event time stored with the image; undefined if the image is absent or has none. */
  eventTimestampOf(imageId: string): Promise<number | undefined>;
  /** An object of an allowed bucket; undefined when absent; throws 'too large' past maxBytes. */
  readObject(bucket: string, key: string, maxBytes: number): Promise<Buffer | undefined>;
}
