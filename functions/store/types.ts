import type { EventDoc } from '../core/event';
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
  /**
   * When the ingest that wrote it began (ms, the ingesting process's clock); undefined for pointers
   * written before it was kept. An erasure marker covers the event only if this is not after it.
   */
  ingestedAtMs?: number;
}

/**
 * An ingest or erasure of an event id that is under way, or that stopped part-way (process killed):
 * written before an ingest's record, removed once the event is complete (its pointer written) or erased.
 * It fixes the event's time, so a retried ingest writes under the same key, and it lets DELETE and
 * reconcile reach a record that has no pointer yet.
 */
export interface EventIntent extends EventLocation {
  imageIds: string[];
  /** When an attempt last touched it (ms): reconcile leaves younger ones to the attempt. */
  touchedAt: number;
  /** Set by an erasure before it starts: whatever is named here goes. */
  erasing: boolean;
}

/**
 * The history of recognition events. Each event is a record (what searches read) plus a pointer (by id:
 * idempotency, delete by id), plus an intent while a write or erasure is under way. Written intent
 * first, then record, then pointer; erased (after marking the intent) record first, pointer, intent last.
 */
export interface EventStore {
  /**
   * Writes an event unless one with its id exists: 'duplicate' then, and nothing changes. An attempt
   * that stopped part-way is completed under its key (its time), so one record per id remains.
   */
  put(event: StoredEvent): Promise<'created' | 'duplicate'>;
  /** put(), also telling the time the event is stored at (an earlier stopped attempt's, if any). */
  putEvent(event: StoredEvent): Promise<{ status: 'created' | 'duplicate'; timestampMs: number }>;
  /**
   * Many events at once (bulk seeding, tests); ids are assumed new (no intent: a retry must carry the same
   * times). Pointers are written before records, so every record written has its pointer. Without pointers they cannot be deleted by id.
   */
  putMany(events: StoredEvent[], opts?: { pointers?: boolean }): Promise<void>;
  find(eventId: string): Promise<EventPointer | undefined>;
  /** Removes the event's record, then its pointer; undefined when there was none. */
  delete(eventId: string): Promise<EventPointer | undefined>;
  /** Removes the record only (searches stop finding it); nothing happens if it is absent. */
  deleteRecord(event: EventLocation): Promise<void>;
  /** Removes the pointer only: the last step of an erasure. */
  deletePointer(eventId: string): Promise<void>;
  /** The intent left for this id, if any (strongly consistent). */
  intent(eventId: string): Promise<EventIntent | undefined>;
  /** Records an erasure of this record and these images before it starts (an intent marked erasing). */
  markErasing(intent: Omit<EventIntent, 'touchedAt' | 'erasing'>): Promise<void>;
  /** Removes the intent: the last step of an erasure. */
  deleteIntent(eventId: string): Promise<void>;
  /**
   * Finishes what ingests of a complete event left: a record at another time than the pointer's (a
   * concurrent attempt's copy), then the intent. Nothing happens without a pointer. Returns the records removed.
   */
  settle(eventId: string): Promise<number>;
  /** Every intent, page by page (reconcile). */
  intents(): AsyncIterable<EventIntent[]>;
  /** The record's stored embedding (516-byte code); undefined when the record is absent. */
  embeddingOf(event: EventLocation): Promise<Uint8Array | undefined>;
  /** Whether the record exists (strongly consistent). */
  recordExists(event: EventLocation): Promise<boolean>;
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
