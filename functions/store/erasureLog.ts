import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ID_PATTERN } from '../core/event';
import { ERASURE_PREFIX } from './keys';
import type { ImageEncryption } from './s3ImageStore';
import type { EventIntent, EventPointer } from './types';

/** The marker's user metadata holding when the erasure was recorded (ms, the erasing process's clock). */
const ERASED_AT = 'erased-at';

/**
 * The durable list of erased event ids. DELETE writes an id here before it erases anything, and the list
 * lives outside the table, so a point-in-time restore of the table (which brings erased events back)
 * cannot take it back too: `npm run reapply-erasures` erases every listed id again, if the stored event
 * was ingested at or before the erasure (`erasureCovers`). Ids and times only: no biometric data.
 */
export class S3ErasureLog {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly encryption: ImageEncryption = { kind: 'AES256' },
  ) {}

  /** Writes (or rewrites, with a new time) the marker of an erasure starting now. */
  async record(eventId: string, erasedAtMs = Date.now()): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: ERASURE_PREFIX + eventId,
        Body: new Uint8Array(0),
        ContentLength: 0,
        ContentType: 'application/octet-stream',
        Metadata: { [ERASED_AT]: String(erasedAtMs) },
        ServerSideEncryption: this.encryption.kind,
        SSEKMSKeyId: this.encryption.kind === 'aws:kms' ? this.encryption.keyId : undefined,
      }),
    );
  }

  /**
   * When the id's latest erasure was recorded; undefined without a marker. A marker without the time
   * (written by an older release) counts from the end of the second of its LastModified, which S3 may
   * truncate: later, so it erases more, never less.
   */
  async erasedAt(eventId: string): Promise<number | undefined> {
    try {
      const r = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: ERASURE_PREFIX + eventId }),
      );
      const stored = Number(r.Metadata?.[ERASED_AT]);
      if (Number.isFinite(stored) && stored > 0) return stored;
      return r.LastModified ? Math.floor(r.LastModified.getTime() / 1000) * 1000 + 999 : Date.now();
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  /** Every recorded id, page by page. */
  async *ids(): AsyncIterable<string[]> {
    let token: string | undefined;
    do {
      const r = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: ERASURE_PREFIX, ContinuationToken: token }),
      );
      yield (r.Contents ?? [])
        .map((o) => (o.Key ?? '').slice(ERASURE_PREFIX.length))
        .filter((id) => ID_PATTERN.test(id));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }
}

/**
 * Whether an erasure recorded at `erasedAtMs` covers what is stored under its id: an erasure is a promise
 * about the data that existed when it was made, so an event ingested after it (the same event_id sent
 * again) is new data and stays. Covered: a pointer whose ingest time is at or before the erasure, or
 * unknown (written before ingest times were kept: the safe side); an intent marked erasing (an erasure
 * under way names it); without a pointer, an intent last touched by an ingest at or before the erasure.
 */
export function erasureCovers(
  erasedAtMs: number,
  pointer: EventPointer | undefined,
  intent: EventIntent | undefined,
): boolean {
  if (pointer) return !(pointer.ingestedAtMs !== undefined && pointer.ingestedAtMs > erasedAtMs);
  if (!intent) return false;
  return intent.erasing || intent.touchedAt <= erasedAtMs;
}
