import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ID_PATTERN } from '../core/event';
import type { ImageEncryption } from './s3ImageStore';

/** Erased event ids live under this prefix of the image bucket: `erasures/<event_id>`, empty objects. */
export const ERASURE_PREFIX = 'erasures/';

/**
 * The durable list of erased event ids. DELETE writes an id here before it erases anything, and the list
 * lives outside the table, so a point-in-time restore of the table (which brings erased events back)
 * cannot take it back too: `npm run reapply-erasures` erases every listed id again. Ids only: no
 * biometric data, no event fields.
 */
export class S3ErasureLog {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly encryption: ImageEncryption = { kind: 'AES256' },
  ) {}

  async record(eventId: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: ERASURE_PREFIX + eventId,
        Body: new Uint8Array(0),
        ContentLength: 0,
        ContentType: 'application/octet-stream',
        ServerSideEncryption: this.encryption.kind,
        SSEKMSKeyId: this.encryption.kind === 'aws:kms' ? this.encryption.keyId : undefined,
      }),
    );
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
