import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { RecordBlock } from '../core/scan';
import { BUCKET_MS, hourLabel } from '../core/timeWindow';
import { logger } from '../shared/logger';
import { StorageUnavailableError } from '../store/errors';
import { SEGMENT_PREFIX } from '../store/keys';
import type { ImageEncryption } from '../store/s3ImageStore';
import {
  INDEX_PROBE_BYTES,
  type SegmentIndex,
  type SegmentPiece,
  decodeIndex,
  decodePiece,
  decodeSegment,
  indexLength,
} from './segmentFormat';

/** Pieced hours' indexes kept (an index names one hour at one version: never stale, only unused). */
const INDEXES_KEPT = 512;

/** A segment's key: `segments/<yyyyMMddHH>/<version>.seg` (store/keys.ts, SEGMENT_PREFIX). */
export function segmentKey(hour: number, version: string): string {
  return `${SEGMENT_PREFIX}${hourLabel(hour)}/${version}.seg`;
}

/** The hour and version of a segment key; undefined for any other key. */
export function parseSegmentKey(key: string): { hour: number; version: string } | undefined {
  const m = /^segments\/(\d{4})(\d{2})(\d{2})(\d{2})\/(\d+)\.seg$/.exec(key);
  if (!m) return undefined;
  return { hour: Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4]) / BUCKET_MS, version: m[5] };
}

/** A stored segment as a listing shows it. */
export interface StoredSegment {
  hour: number;
  version: string;
  key: string;
}

export interface SegmentStoreOptions {
  bucket: string;
  /** Days an event is kept: an hour whose first events may have expired is never served from a segment. */
  retentionDays: number;
  /**
   * The compactor's settle time: an hour that ended less than this ago has no segment yet, so it is
   * answered without a request.
   */
  settleMs?: number;
  /** The clock (tests move it). */
  now?: () => number;
  /** SSE-KMS with the stack's key in the cloud (the bucket policy refuses anything else); SSE-S3 elsewhere. */
  encryption?: ImageEncryption;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * History segments in S3 (docs/store.md, "Segments"). The read path's seam is `readHour`; the compactor
 * (compactor.ts) writes, lists and removes.
 */
export class SegmentStore {
  private readonly now: () => number;
  /** Indexes read, by segment key, in recency order. */
  private readonly indexes = new Map<string, SegmentIndex>();

  constructor(
    private readonly s3: S3Client,
    private readonly opts: SegmentStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * The hour's records as one block (ascending (timestamp, id), codes packed, `doc` empty), when a
   * segment built at `currentVersion` (the hour's `HV#` version, read strongly consistent) exists;
   * otherwise undefined and the caller reads the hour's items. Never throws: a missing, damaged or
   * unreadable segment, an hour not settled yet (no request made) or one reaching the end of its
   * retention, is undefined. With `alloc`, the codes are copied once into what it hands out.
   *
   * @example const block = await segments.readHour(hour, versions.get(hour) ?? '0') ?? await readItems(hour);
   */
  async readHour(
    hour: number,
    currentVersion: string,
    alloc?: (bytes: number) => Uint8Array,
  ): Promise<RecordBlock | undefined> {
    if (currentVersion === '0' || !this.retained(hour) || !this.settled(hour)) return undefined;
    let bytes: Uint8Array;
    try {
      const r = await this.s3.send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: segmentKey(hour, currentVersion) }),
      );
      bytes = await r.Body!.transformToByteArray();
    } catch (err) {
      if (!isNotFound(err))
        logger.warn({ hour, err: (err as Error)?.name }, 'segment unreadable: items read');
      return undefined;
    }
    try {
      return decodeSegment(bytes, { alloc, expect: { hour, version: currentVersion } }).block;
    } catch (err) {
      logger.warn(
        { hour, version: currentVersion, err: (err as Error).message },
        'segment damaged: items read',
      );
      return undefined;
    }
  }

  /**
   * The index of the hour's pieced segment (one built at `currentVersion` of an hour of more than
   * WHOLE_HOUR_RECORDS), from one range request of the object's start (two for an index past
   * INDEX_PROBE_BYTES), kept for later calls; undefined as readHour (then the caller reads the items),
   * and for a segment that is not pieced. Never throws.
   */
  async readIndex(
    hour: number,
    currentVersion: string,
    signal?: AbortSignal,
  ): Promise<SegmentIndex | undefined> {
    if (currentVersion === '0' || !this.retained(hour) || !this.settled(hour)) return undefined;
    const key = segmentKey(hour, currentVersion);
    const kept = this.indexes.get(key);
    if (kept) {
      this.indexes.delete(key);
      this.indexes.set(key, kept);
      return kept;
    }
    try {
      let start = await this.range(key, 0, INDEX_PROBE_BYTES, signal);
      if (!start) return undefined;
      const need = indexLength(start);
      if (need > start.length) start = await this.range(key, 0, need, signal);
      if (!start) return undefined;
      const index = decodeIndex(start, { hour, version: currentVersion });
      this.indexes.set(key, index);
      if (this.indexes.size > INDEXES_KEPT) this.indexes.delete(this.indexes.keys().next().value!);
      return index;
    } catch (err) {
      if (signal?.aborted) return undefined; // the reader is closed: nobody waits for it
      logger.warn(
        { hour, version: currentVersion, err: (err as Error)?.message },
        'segment index unreadable: items read',
      );
      return undefined;
    }
  }

  /**
   * One piece of the hour's pieced segment (from `readIndex`) as a block, from one range request;
   * undefined when it cannot be read or does not check out (the caller reads that stretch's items).
   * With `alloc`, the codes are copied once into what it hands out. Never throws.
   */
  async readPiece(
    hour: number,
    currentVersion: string,
    piece: SegmentPiece,
    alloc?: (bytes: number) => Uint8Array,
    signal?: AbortSignal,
  ): Promise<RecordBlock | undefined> {
    try {
      const bytes = await this.range(segmentKey(hour, currentVersion), piece.at, piece.bytes, signal);
      if (!bytes || bytes.length !== piece.bytes) throw new Error(`piece of ${bytes?.length ?? 0} bytes`);
      return decodePiece(bytes, piece, { alloc, expect: { hour, version: currentVersion } });
    } catch (err) {
      if (signal?.aborted) return undefined; // the reader is closed (a read ahead it no longer needs)
      logger.warn(
        { hour, version: currentVersion, err: (err as Error)?.message },
        'segment piece unreadable: items read',
      );
      return undefined;
    }
  }

  /** `length` bytes of an object from `at` (fewer at its end); undefined when it is not there. */
  private async range(
    key: string,
    at: number,
    length: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    try {
      const r = await this.s3.send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: key, Range: `bytes=${at}-${at + length - 1}` }),
        { abortSignal: signal },
      );
      return await r.Body!.transformToByteArray();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Whether no event of the hour can have passed its retention yet (segments of older hours go). */
  retained(hour: number): boolean {
    return hour * BUCKET_MS + this.opts.retentionDays * 86_400_000 > this.now();
  }

  /** Whether the hour ended at least the settle time ago (before that the compactor builds nothing). */
  settled(hour: number): boolean {
    return (hour + 1) * BUCKET_MS + (this.opts.settleMs ?? 0) <= this.now();
  }

  /** Every stored segment (a crash may leave an hour with more than one version for a while). */
  async list(): Promise<StoredSegment[]> {
    const out: StoredSegment[] = [];
    let token: string | undefined;
    do {
      const r = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.opts.bucket,
          Prefix: SEGMENT_PREFIX,
          ContinuationToken: token,
        }),
      );
      for (const o of r.Contents ?? []) {
        const parsed = parseSegmentKey(o.Key ?? '');
        if (parsed) out.push({ ...parsed, key: o.Key! });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** Writes a segment (one PUT: an object is stored whole or not at all, never torn). */
  async put(hour: number, version: string, bytes: Uint8Array): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.opts.bucket,
        Key: segmentKey(hour, version),
        Body: bytes,
        ContentType: 'application/octet-stream',
        ServerSideEncryption: this.opts.encryption?.kind ?? 'AES256',
        SSEKMSKeyId: this.opts.encryption?.kind === 'aws:kms' ? this.opts.encryption.keyId : undefined,
      }),
    );
  }

  /** Removes segments by key (the bucket keeps no versions: their bytes are gone). */
  async remove(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const r = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.opts.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (r.Errors?.length) {
        throw new StorageUnavailableError(`DeleteObjects failed for ${r.Errors.length} of ${batch.length}`);
      }
    }
  }
}
