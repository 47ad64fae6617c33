import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { queryPages } from '../store/dynamoPaging';
import { isConditionFailure, translateStorageError } from '../store/errors';
import { JOB_PK_PREFIX, JOB_PREFIX } from '../store/keys';
import type { ImageEncryption } from '../store/s3ImageStore';
import type { Piece } from './plan';
import type { PieceResult } from './pieceScan';

export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

/** A job as stored: what it scans for, its pieces' plan and where it stands. */
export interface JobRecord {
  jobId: string;
  state: JobState;
  createdAtMs: number;
  /** Epoch seconds: the job and its results are gone after this (TTL; readers treat it as gone at once). */
  expiresAt: number;
  startMs: number;
  endMs: number;
  reverse: boolean;
  deviceIds?: string[];
  minCosine: number;
  cosineShift: number;
  maxResults: number;
  query: Float32Array;
  pieces: Piece[];
  recordsTotal: number;
  /** Set when the job stopped early (its results reached max_results). */
  truncated?: boolean;
}

/** A finished piece as its marker item tells it (its events are in S3). */
export interface PieceMarker {
  index: number;
  matches: number;
  examined: number;
  covered: number;
  more: boolean;
}

const jobPk = (id: string) => `${JOB_PK_PREFIX}${id}`;
const JOB_SK = 'JOB';
const pieceSk = (index: number) => `P#${String(index).padStart(6, '0')}`;
const pieceKey = (id: string, index: number) => `${JOB_PREFIX}${id}/${index}.json`;
/** The local index of jobs (one item per job): what the local sweep lists, instead of scanning the table. */
const INDEX_PK = `${JOB_PK_PREFIX}index`;

const s = (v: string): AttributeValue => ({ S: v });
const n = (v: number): AttributeValue => ({ N: String(v) });

/**
 * Jobs in the events table (`JOB#<id>`: the job item, and one marker item per finished piece) and their
 * pieces' events in the image bucket (`jobs/<id>/<piece>.json`), all with the job's expiry: the table's
 * TTL and the bucket's lifecycle rule for `jobs/` remove them; readers refuse an expired job at once.
 */
export class JobStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly s3: S3Client,
    private readonly opts: {
      table: string;
      bucket: string;
      encryption: ImageEncryption;
      /** Locally: keep an index of jobs for sweep() (AWS has the table's TTL and the bucket's rule). */
      index?: boolean;
    },
  ) {}

  async create(job: JobRecord): Promise<void> {
    const spec = {
      startMs: job.startMs,
      endMs: job.endMs,
      reverse: job.reverse,
      deviceIds: job.deviceIds,
      minCosine: job.minCosine,
      cosineShift: job.cosineShift,
      maxResults: job.maxResults,
      pieces: job.pieces,
      createdAtMs: job.createdAtMs,
    };
    await this.db.send(
      new PutItemCommand({
        TableName: this.opts.table,
        Item: {
          pk: s(jobPk(job.jobId)),
          sk: s(JOB_SK),
          state: s(job.state),
          spec: s(JSON.stringify(spec)),
          q: { B: new Uint8Array(job.query.buffer, job.query.byteOffset, job.query.byteLength) },
          total: n(job.recordsTotal),
          expiresAt: n(job.expiresAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (this.opts.index) {
      await this.db.send(
        new PutItemCommand({
          TableName: this.opts.table,
          Item: { pk: s(INDEX_PK), sk: s(job.jobId), expiresAt: n(job.expiresAt) },
        }),
      );
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const r = await this.db.send(
      new GetItemCommand({
        TableName: this.opts.table,
        Key: { pk: s(jobPk(jobId)), sk: s(JOB_SK) },
        ConsistentRead: true,
      }),
    );
    const item = r.Item;
    if (!item) return undefined;
    const spec = JSON.parse(item.spec.S!) as Omit<JobRecord, 'jobId' | 'state' | 'query' | 'expiresAt'>;
    const q = item.q.B!;
    return {
      ...spec,
      jobId,
      state: item.state.S as JobState,
      query: new Float32Array(q.buffer.slice(q.byteOffset, q.byteOffset + q.byteLength)),
      recordsTotal: Number(item.total.N),
      expiresAt: Number(item.expiresAt.N),
      truncated: item.truncated?.BOOL,
    };
  }

  /** Moves a running job to `state`; false when it was no longer running (cancelled, finished). */
  async finish(jobId: string, state: Exclude<JobState, 'running'>, truncated = false): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.opts.table,
          Key: { pk: s(jobPk(jobId)), sk: s(JOB_SK) },
          UpdateExpression: 'SET #s = :s, truncated = :t',
          ConditionExpression: '#s = :running',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':s': s(state), ':t': { BOOL: truncated }, ':running': s('running') },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Stores a piece's events, then its marker: written again by a retry, both are overwritten with the
   * same content (keyed by the piece), so a piece is never counted twice nor lost.
   */
  async putPiece(jobId: string, expiresAt: number, r: PieceResult): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.opts.bucket,
        Key: pieceKey(jobId, r.index),
        Body: JSON.stringify(r.events),
        ContentType: 'application/json',
        ServerSideEncryption: this.opts.encryption.kind,
        SSEKMSKeyId: this.opts.encryption.kind === 'aws:kms' ? this.opts.encryption.keyId : undefined,
      }),
    );
    await this.db.send(
      new PutItemCommand({
        TableName: this.opts.table,
        Item: {
          pk: s(jobPk(jobId)),
          sk: s(pieceSk(r.index)),
          matches: n(r.events.length),
          examined: n(r.examined),
          covered: n(r.covered),
          more: { BOOL: r.more },
          expiresAt: n(expiresAt),
        },
      }),
    );
  }

  /** The markers of the finished pieces, by index (consistent). */
  async pieces(jobId: string): Promise<Map<number, PieceMarker>> {
    const out = new Map<number, PieceMarker>();
    const pages = queryPages(this.db, {
      TableName: this.opts.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': s(jobPk(jobId)), ':p': s('P#') },
      ConsistentRead: true,
    });
    for await (const items of pages) {
      for (const item of items) {
        const index = Number(item.sk.S!.slice(2));
        out.set(index, {
          index,
          matches: Number(item.matches.N),
          examined: Number(item.examined.N),
          covered: Number(item.covered.N),
          more: item.more.BOOL === true,
        });
      }
    }
    return out;
  }

  /** A finished piece's events, in scan order. */
  async pieceEvents(jobId: string, index: number): Promise<Array<Record<string, unknown>>> {
    const r = await this.s3.send(
      new GetObjectCommand({ Bucket: this.opts.bucket, Key: pieceKey(jobId, index) }),
    );
    let text: string;
    try {
      text = await r.Body!.transformToString();
    } catch (err) {
      // The body is read after the client's middleware: a connection lost mid-body is translated here.
      throw translateStorageError(err);
    }
    return JSON.parse(text) as Array<Record<string, unknown>>;
  }

  /**
   * The local stand-in for TTL (dynalite has none) and for a process that died with jobs running: removes
   * expired jobs (their items and `jobs/` objects), with `failRunning` marks the jobs still running failed
   * (at start, no job of this store runs: the data folder's lock says no other process holds it), and
   * removes `jobs/` objects whose job is gone. Needs the index (opts.index).
   */
  async sweep(nowSec: number, opts: { failRunning: boolean }): Promise<{ expired: number; failed: number }> {
    const live = new Set<string>();
    let expired = 0;
    let failed = 0;
    for (const entry of await this.partition(INDEX_PK)) {
      const jobId = entry.sk.S!;
      if (Number(entry.expiresAt.N) <= nowSec) {
        await this.deleteItems([...(await this.partition(jobPk(jobId))), entry]);
        await this.deleteObjects(`${JOB_PREFIX}${jobId}/`);
        expired++;
        continue;
      }
      live.add(jobId);
      if (opts.failRunning && (await this.get(jobId))?.state === 'running') {
        if (await this.finish(jobId, 'failed')) failed++;
      }
    }
    // Results of jobs no longer indexed (expired, or older than the index).
    let token: string | undefined;
    do {
      const r = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.opts.bucket,
          Prefix: JOB_PREFIX,
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
      for (const p of r.CommonPrefixes ?? []) {
        const jobId = p.Prefix!.slice(JOB_PREFIX.length, -1);
        if (!live.has(jobId)) await this.deleteObjects(p.Prefix!);
      }
      token = r.NextContinuationToken;
    } while (token);
    return { expired, failed };
  }

  /** Every item of a partition. */
  private async partition(pk: string): Promise<Array<Record<string, AttributeValue>>> {
    const out: Array<Record<string, AttributeValue>> = [];
    const pages = queryPages(this.db, {
      TableName: this.opts.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': s(pk) },
    });
    for await (const items of pages) out.push(...items);
    return out;
  }

  private async deleteItems(items: Array<Record<string, AttributeValue>>): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let requests = items
        .slice(i, i + 25)
        .map((it) => ({ DeleteRequest: { Key: { pk: it.pk, sk: it.sk } } }));
      while (requests.length > 0) {
        const r = await this.db.send(
          new BatchWriteItemCommand({ RequestItems: { [this.opts.table]: requests } }),
        );
        requests = (r.UnprocessedItems?.[this.opts.table] ?? []) as typeof requests;
      }
    }
  }

  private async deleteObjects(prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const r = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const keys = (r.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length > 0) {
        await this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.opts.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
      }
      token = r.NextContinuationToken;
    } while (token);
  }
}
