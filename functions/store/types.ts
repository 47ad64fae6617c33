import type { EventDoc } from '../core/event';
import type { HistoryRecord } from '../core/scan';
import type { ScanRange } from '../core/timeWindow';

/** What a search reads: records of a time range, in order, optionally only some devices'. */
export interface HistoryQuery {
  range: ScanRange;
  reverse: boolean;
  deviceIds?: string[];
}

/** An event ready to be written: its fields, its compact embedding and its device. */
export interface StoredEvent {
  eventId: string;
  timestampMs: number;
  deviceId: string;
  code: Uint8Array;
  doc: EventDoc;
}

/** Where an event lives, for delete-by-id and idempotency. */
export interface EventPointer {
  eventId: string;
  timestampMs: number;
  imageIds: string[];
}

/** The history of recognition events. */
export interface EventStore {
  /** Writes an event unless one with its id exists: 'duplicate' then, and nothing changes. */
  put(event: StoredEvent): Promise<'created' | 'duplicate'>;
  /** Many events at once (bulk seeding, tests); ids are assumed new. Without pointers they cannot be deleted by id. */
  putMany(events: StoredEvent[], opts?: { pointers?: boolean }): Promise<void>;
  find(eventId: string): Promise<EventPointer | undefined>;
  /** Removes the event and its pointer; false when there was none. */
  delete(eventId: string): Promise<EventPointer | undefined>;
  records(query: HistoryQuery): AsyncIterable<HistoryRecord>;
  /** True when the store holds no event at all (the local server's first-run hint). */
  isEmpty(): Promise<boolean>;
}

export interface StoredImage {
  bytes: Buffer;
  contentType: string;
}

/** Face crops and scene images by id, plus reading query photos by key. */
export interface ImageStore {
  put(imageId: string, bytes: Buffer, contentType: string): Promise<void>;
  get(imageId: string): Promise<StoredImage | undefined>;
  delete(imageIds: string[]): Promise<void>;
  /** An object of an allowed bucket; undefined when absent; throws 'too large' past maxBytes. */
  readObject(bucket: string, key: string, maxBytes: number): Promise<Buffer | undefined>;
}
