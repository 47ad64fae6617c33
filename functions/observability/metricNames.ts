/**
 * The service's CloudWatch metrics (embedded metric format, written to stdout by the functions and
 * extracted by CloudWatch Logs): one list read by the functions that emit them and by the stack's
 * dashboard and alarms, so the two cannot drift apart.
 */

/** Default namespace; the stack sets POWERTOOLS_METRICS_NAMESPACE to one per stack (`Sophon/<stack>`). */
export const DEFAULT_NAMESPACE = 'Sophon/SophonFaceSearch';

/** The `service` dimension of each function's metrics. */
export const SERVICES = {
  search: 'search',
  detect: 'detect',
  ingest: 'ingest',
  ingestS3: 'ingest-s3',
  images: 'images',
  jobs: 'jobs',
  reconcile: 'reconcile',
  /** Lambda's own metrics only (the history compactor emits no embedded metrics). */
  compactor: 'compactor',
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

export const METRICS = {
  // Every API request (dimension: service).
  requests: 'Requests',
  /** 429: no search slot free (the contract's "another search is running"). */
  refused: 'Refused',
  clientErrors: 'ClientErrors',
  serverErrors: 'ServerErrors',
  /** Per contract error code (dimensions: service, code). */
  errorsByCode: 'Errors',
  /** Powertools' own cold-start count (dimensions: service, function_name). */
  coldStart: 'ColdStart',

  // Search (from the use case's response: total_time, timings, records_examined, events).
  searchTime: 'SearchTime',
  faceTime: 'FaceTime',
  scanTime: 'ScanTime',
  recordsExamined: 'RecordsExamined',
  /** Only when the response reports it (records_read). */
  recordsRead: 'RecordsRead',
  matches: 'Matches',

  // Ingest (API and S3 doors).
  eventsIngested: 'EventsIngested',
  eventsRejected: 'EventsRejected',
  ingestTime: 'IngestTime',

  // Reconcile (the scheduled clean-up; functions/reconcile/reconcile.ts ReconcileReport).
  imagesListed: 'ImagesListed',
  orphanImagesRemoved: 'OrphanImagesRemoved',
  orphanRecordsRemoved: 'OrphanRecordsRemoved',
  erasuresFinished: 'ErasuresFinished',
  unverifiedImages: 'UnverifiedImages',
  reconcileTime: 'ReconcileTime',
  reconcileFailures: 'ReconcileFailures',
} as const;
