import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { RETENTION_TAG } from '../core/retention';
import { StorageUnavailableError, translateStorageError } from './errors';
import { IMAGE_PREFIX } from './keys';
import type { ImageStore, ListedImage, StoredImage } from './types';

/** User metadata (x-amz-meta-event-ts): the event's time in ms, the key of its record with the id. */
const EVENT_TS = 'event-ts';

/** How written objects are encrypted: SSE-S3, or SSE-KMS with the stack's own key. */
export type ImageEncryption = { kind: 'AES256' } | { kind: 'aws:kms'; keyId: string };

export class ImageTooLargeError extends Error {
  constructor() {
    super('image too large');
    this.name = 'ImageTooLargeError';
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Images in one S3 bucket, each written with server-side encryption requested: with the stack's
 * customer-managed key in the cloud (the bucket policy refuses any other), SSE-S3 elsewhere.
 */
export class S3ImageStore implements ImageStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly encryption: ImageEncryption = { kind: 'AES256' },
  ) {}

  async put(
    imageId: string,
    bytes: Buffer,
    contentType: string,
    meta: { eventTimestampMs?: number; retentionDays?: number } = {},
  ): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: IMAGE_PREFIX + imageId,
        Body: bytes,
        ContentType: contentType,
        ServerSideEncryption: this.encryption.kind,
        SSEKMSKeyId: this.encryption.kind === 'aws:kms' ? this.encryption.keyId : undefined,
        // The bucket's lifecycle rule of this tag value expires the image no later than its event.
        Tagging: meta.retentionDays === undefined ? undefined : `${RETENTION_TAG}=${meta.retentionDays}`,
        Metadata:
          meta.eventTimestampMs === undefined ? undefined : { [EVENT_TS]: String(meta.eventTimestampMs) },
      }),
    );
  }

  async get(imageId: string): Promise<StoredImage | undefined> {
    try {
      const r = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: IMAGE_PREFIX + imageId }),
      );
      const bytes = Buffer.from(await r.Body!.transformToByteArray());
      return { bytes, contentType: r.ContentType ?? 'application/octet-stream' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      // The body is read after the client's middleware: a connection lost mid-body is translated here.
      throw translateStorageError(err);
    }
  }

  async delete(imageIds: string[]): Promise<void> {
    if (imageIds.length === 0) return;
    const r = await this.s3.send(
      new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: imageIds.map((id) => ({ Key: IMAGE_PREFIX + id })), Quiet: true },
      }),
    );
    // DeleteObjects answers 200 even when some keys failed (SlowDown, InternalError): that is no success.
    if (r.Errors?.length) {
      throw new StorageUnavailableError(`DeleteObjects failed for ${r.Errors.length} of ${imageIds.length}`);
    }
  }

  async *list(): AsyncIterable<ListedImage[]> {
    let token: string | undefined;
    do {
      const r = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: IMAGE_PREFIX, ContinuationToken: token }),
      );
      yield (r.Contents ?? []).map((o) => ({
        imageId: (o.Key ?? '').slice(IMAGE_PREFIX.length),
        lastModified: o.LastModified ?? new Date(0),
      }));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async eventTimestampOf(imageId: string): Promise<number | undefined> {
    try {
      const r = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: IMAGE_PREFIX + imageId }),
      );
      const ts = Number(r.Metadata?.[EVENT_TS]);
      return r.Metadata?.[EVENT_TS] !== undefined && Number.isFinite(ts) ? ts : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async readObject(bucket: string, key: string, maxBytes: number): Promise<Buffer | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if ((r.ContentLength ?? 0) > maxBytes) {
        await r.Body?.transformToWebStream().cancel();
        throw new ImageTooLargeError();
      }
      const bytes = Buffer.from(await r.Body!.transformToByteArray());
      if (bytes.length > maxBytes) throw new ImageTooLargeError();
      return bytes;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw translateStorageError(err);
    }
  }
}
