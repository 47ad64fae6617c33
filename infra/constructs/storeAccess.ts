import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import {
  ERASURE_PREFIX,
  EVENT_PK_PREFIX,
  HOUR_DIRECTORY_PK_PREFIX,
  IMAGE_PREFIX,
  INTENT_PK_PREFIX,
  JOB_PK_PREFIX,
  JOB_PREFIX,
  LEASE_PK,
  POINTER_PK_PREFIX,
  SEGMENT_PREFIX,
  UPLOAD_PREFIX,
} from '../../functions/store/keys';

/**
 * What each use of the store may do, in one place (docs/store.md, "What each function needs"): every
 * construct grants its function's role the rows of the uses it serves, and nothing else. A row names
 * DynamoDB actions on items whose partition key matches a pattern, S3 actions on objects whose key
 * matches one, or the listing of prefixes. test/unit/infra/storeAccess.test.ts runs the store code of
 * each use against dynalite and s3rver, records every call it sends and checks it against these rows
 * (and, for reconcile and erase, that every row is used): a call added to the code without its row,
 * or a row the code no longer needs, fails that test.
 */
export type StoreUse =
  | 'search'
  | 'readQueryPhoto'
  | 'ingest'
  | 'takeUpload'
  | 'serveImages'
  | 'erase'
  | 'reconcile'
  | 'compact'
  | 'jobs'
  | 'jobPiece';

export type StoreAccessRow =
  | { on: 'table'; actions: string[]; partitions: string[] }
  | { on: 'objects'; actions: string[]; keys: string[] }
  | { on: 'listing'; prefixes: string[] };

/** Partition key patterns and object key prefixes, all from functions/store/keys.ts. */
const RECORDS = `${EVENT_PK_PREFIX}*`;
const POINTERS = `${POINTER_PK_PREFIX}*`;
const INTENTS = `${INTENT_PK_PREFIX}*`;
const HOURS = `${HOUR_DIRECTORY_PK_PREFIX}*`;
const LEASES = LEASE_PK;
const JOBS = `${JOB_PK_PREFIX}*`;

/** An erasure (functions/erase/eraseEvent.ts): find, mark the intent, delete records, images, pointer, intent. */
const ERASE_EVENT: StoreAccessRow[] = [
  { on: 'table', actions: ['dynamodb:GetItem'], partitions: [POINTERS, INTENTS] },
  // The intent marked erasing; each removed record bumps its hour's version.
  { on: 'table', actions: ['dynamodb:UpdateItem'], partitions: [INTENTS, HOURS] },
  { on: 'table', actions: ['dynamodb:DeleteItem'], partitions: [RECORDS, POINTERS, INTENTS] },
  { on: 'objects', actions: ['s3:DeleteObject'], keys: [`${IMAGE_PREFIX}*`] },
];

export const STORE_ACCESS: Record<StoreUse, StoreAccessRow[]> = {
  // A search: the hour directory and versions (HV#), the hours' records and a match's event JSON (EV#),
  // its search slot (LEASE#search), the settled hours' segments.
  search: [
    { on: 'table', actions: ['dynamodb:Query'], partitions: [RECORDS, HOURS, LEASES] },
    { on: 'table', actions: ['dynamodb:BatchGetItem'], partitions: [RECORDS, HOURS] },
    {
      on: 'table',
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      partitions: [LEASES],
    },
    { on: 'objects', actions: ['s3:GetObject'], keys: [`${SEGMENT_PREFIX}*`] },
  ],
  // face_image_path of a query may name any key of the image bucket (allow-listed buckets: the construct).
  readQueryPhoto: [{ on: 'objects', actions: ['s3:GetObject'], keys: ['*'] }],
  // An ingest (functions/store/dynamoEventStore.ts putEvent): intent, hour entry, record, pointer; a losing
  // duplicate or a stopped erasure's record removed; images stored with their retention tag, removed again
  // when the ingest fails (functions/ingest/undoIngest.ts); face_image_path names an upload only.
  ingest: [
    {
      on: 'table',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      partitions: [RECORDS, POINTERS, INTENTS],
    },
    { on: 'table', actions: ['dynamodb:UpdateItem'], partitions: [HOURS, INTENTS] },
    {
      on: 'objects',
      actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'],
      keys: [`${IMAGE_PREFIX}*`],
    },
    { on: 'objects', actions: ['s3:GetObject'], keys: [`${UPLOAD_PREFIX}*`] },
  ],
  // The S3 door removes the upload it processed.
  takeUpload: [{ on: 'objects', actions: ['s3:DeleteObject'], keys: [`${UPLOAD_PREFIX}*`] }],
  serveImages: [{ on: 'objects', actions: ['s3:GetObject'], keys: [`${IMAGE_PREFIX}*`] }],
  // DELETE: the id in the erasure list first (functions/store/erasureLog.ts), then the erasure.
  erase: [{ on: 'objects', actions: ['s3:PutObject'], keys: [`${ERASURE_PREFIX}*`] }, ...ERASE_EVENT],
  // Reconcile (functions/reconcile/reconcile.ts): the erasure list, the intents, the images; erasures of what
  // failed ingests and stopped erasures left; records looked up by the time an image carries, and an
  // erasure's time by its marker (HeadObject: a later ingest of the id stays).
  reconcile: [
    { on: 'listing', prefixes: [`${IMAGE_PREFIX}*`, `${ERASURE_PREFIX}*`] },
    { on: 'table', actions: ['dynamodb:Query'], partitions: [INTENTS] },
    { on: 'table', actions: ['dynamodb:GetItem'], partitions: [RECORDS] },
    { on: 'objects', actions: ['s3:GetObject'], keys: [`${IMAGE_PREFIX}*`, `${ERASURE_PREFIX}*`] },
    ...ERASE_EVENT,
  ],
  // The history compactor (functions/history/compactor.ts): hour versions and hour partitions read;
  // segments listed, written and removed. No image, no event JSON write.
  compact: [
    { on: 'table', actions: ['dynamodb:BatchGetItem'], partitions: [HOURS] },
    { on: 'table', actions: ['dynamodb:Query'], partitions: [RECORDS] },
    { on: 'listing', prefixes: [`${SEGMENT_PREFIX}*`] },
    { on: 'objects', actions: ['s3:PutObject', 's3:DeleteObject'], keys: [`${SEGMENT_PREFIX}*`] },
  ],
  // The search jobs' routes (functions/jobs/searchJobs.ts, jobStore.ts): the job item created, read,
  // finished or cancelled; its piece markers queried; its pieces' events read. The plan's hour counts
  // and the query come from the search's rows.
  jobs: [
    {
      on: 'table',
      actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
      partitions: [JOBS],
    },
    { on: 'table', actions: ['dynamodb:Query'], partitions: [JOBS] },
    { on: 'objects', actions: ['s3:GetObject'], keys: [`${JOB_PREFIX}*`] },
  ],
  // One piece of a job (functions/jobs/pieceHandler.ts): the job read, the history read as a search
  // reads it (no search slot), its events and marker written, the markers queried and the job finished.
  jobPiece: [
    { on: 'table', actions: ['dynamodb:Query'], partitions: [RECORDS, HOURS, JOBS] },
    { on: 'table', actions: ['dynamodb:BatchGetItem'], partitions: [RECORDS, HOURS] },
    {
      on: 'table',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      partitions: [JOBS],
    },
    { on: 'objects', actions: ['s3:GetObject'], keys: [`${SEGMENT_PREFIX}*`] },
    { on: 'objects', actions: ['s3:PutObject'], keys: [`${JOB_PREFIX}*`] },
  ],
};

/** The store uses of each function of the stack (infra/constructs/faceFunctions.ts, compactor.ts, reconcileSchedule.ts). */
export const FUNCTION_STORE_USES = {
  search: ['search', 'readQueryPhoto'],
  // The search jobs' routes analyse the query as the search does, then plan and read jobs.
  jobs: ['search', 'readQueryPhoto', 'jobs'],
  jobPiece: ['jobPiece'],
  // The query analysis only: no table at all (no history, no search slot).
  detect: ['readQueryPhoto'],
  ingest: ['ingest'],
  ingestS3: ['ingest', 'takeUpload'],
  images: ['serveImages', 'erase'],
  compactor: ['compact'],
  reconcile: ['reconcile'],
} as const satisfies Record<string, readonly StoreUse[]>;

/** The object key patterns the rows of `uses` name (cdk-nag acknowledges exactly these: infra/nag.ts). */
export function objectPatterns(uses: readonly StoreUse[]): string[] {
  const keys = uses.flatMap((u) => STORE_ACCESS[u]).flatMap((r) => (r.on === 'objects' ? r.keys : []));
  return [...new Set(keys)];
}

/** IAM statements granting the rows of `uses` on the table and bucket. */
export function storeStatements(
  store: { table: dynamodb.ITable; images: s3.IBucket },
  uses: readonly StoreUse[],
): iam.PolicyStatement[] {
  return uses
    .flatMap((use) => STORE_ACCESS[use])
    .map((row) => {
      switch (row.on) {
        case 'table':
          return new iam.PolicyStatement({
            actions: row.actions,
            resources: [store.table.tableArn],
            conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': row.partitions } },
          });
        case 'objects':
          return new iam.PolicyStatement({
            actions: row.actions,
            resources: row.keys.map((k) => store.images.arnForObjects(k)),
          });
        case 'listing':
          return new iam.PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [store.images.bucketArn],
            conditions: { StringLike: { 's3:prefix': row.prefixes } },
          });
      }
    });
}

/** Grants `role` the store rows of `uses` (and nothing else of the store). */
export function grantStore(
  role: iam.IRole,
  store: { table: dynamodb.ITable; images: s3.IBucket },
  uses: readonly StoreUse[],
): void {
  for (const statement of storeStatements(store, uses)) role.addToPrincipalPolicy(statement);
}
