import {
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type { ImageStore, StoredImage } from './types';

/** Stored images live under this prefix: `images/<imageId>`. */
export const IMAGE_PREFIX = 'images/';

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

/** Images in one S3 bucket, each written with server-side encryption requested. */
export class S3ImageStore implements ImageStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly encryption: ServerSideEncryption = 'AES256',
  ) {}

  async put(imageId: string, bytes: Buffer, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: IMAGE_PREFIX + imageId,
        Body: bytes,
        ContentType: contentType,
        ServerSideEncryption: this.encryption,
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
      throw err;
    }
  }

  async delete(imageIds: string[]): Promise<void> {
    if (imageIds.length === 0) return;
    await this.s3.send(
      new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: imageIds.map((id) => ({ Key: IMAGE_PREFIX + id })), Quiet: true },
      }),
    );
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
      throw err;
    }
  }
}
