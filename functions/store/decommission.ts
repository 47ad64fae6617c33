import {
  DeleteTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface DecommissionReport {
  /** Objects deleted, per bucket. */
  objects: Record<string, number>;
  table: 'deleted' | 'absent';
}

/** An operation the local stand-ins do not implement (dynalite): nothing to switch off there. */
const notImplemented = (err: unknown) =>
  (err as { name?: string })?.name === 'UnknownOperationException' ||
  /not (yet )?(implemented|supported)|unknown operation/i.test((err as Error)?.message ?? '');

/**
 * Erases every stored event and image of a deployment for good: every object of the buckets (images,
 * uploads, the erasure list, access logs if named), then the table, with point-in-time recovery switched
 * off first so DynamoDB keeps no system backup of it, and deletion protection off. The last step,
 * scheduling the deletion of the stack's KMS key, makes any copy left anywhere unreadable
 * (docs/deploy.md, "Decommissioning").
 */
export async function eraseDeployment(
  clients: { dynamo: DynamoDBClient; s3: S3Client },
  target: { table: string; buckets: string[] },
): Promise<DecommissionReport> {
  const report: DecommissionReport = { objects: {}, table: 'absent' };
  for (const bucket of target.buckets) report.objects[bucket] = await emptyBucket(clients.s3, bucket);
  try {
    await clients.dynamo
      .send(
        new UpdateContinuousBackupsCommand({
          TableName: target.table,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
        }),
      )
      .catch((err) => {
        if (!notImplemented(err)) throw err;
      });
    await clients.dynamo
      .send(new UpdateTableCommand({ TableName: target.table, DeletionProtectionEnabled: false }))
      .catch((err) => {
        if (!notImplemented(err) && (err as Error).name !== 'ValidationException') throw err;
      });
    await clients.dynamo.send(new DeleteTableCommand({ TableName: target.table }));
    report.table = 'deleted';
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException) && (err as Error).name !== 'ResourceNotFoundException')
      throw err;
  }
  return report;
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) return deleted;
    const r = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
    );
    if (r.Errors?.length) throw new Error(`${r.Errors.length} objects of ${bucket} could not be deleted`);
    deleted += keys.length;
  }
}
