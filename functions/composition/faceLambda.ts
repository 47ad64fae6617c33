import { SFNClient } from '@aws-sdk/client-sfn';
import type { DetectDeps } from '../detect/detectFace';
import { getFaceEngine } from '../face';
import type { IngestDeps } from '../ingest/ingestEvents';
import type { SearchDeps } from '../search/searchByImage';
import type { JobDeps } from '../jobs/searchJobs';
import { createJobStore } from '../jobs/services';
import { JobSlots } from '../jobs/jobSlots';
import { StepFunctionsJobRunner } from '../jobs/stepFunctionsRunner';
import { config } from '../shared/config';
import type { AwsClients } from '../store/clients';
import { translateStorageErrors } from '../store/errors';
import { S3ImageStore } from '../store/s3ImageStore';
import { lambdaClients, lambdaServices } from './lambda';

/** The use cases that run the face engine, as the Lambda process composes them (lambda.ts: the storage). */
let detect: DetectDeps | undefined;

/** Search and ingest: the storage adapters and the face engine. */
export function engineDeps(): SearchDeps & IngestDeps {
  return { services: lambdaServices(), engine: getFaceEngine };
}

/** The S3 ingest door also reads and removes the uploads: the same S3 client as the adapters. */
export function s3IngestDeps(): IngestDeps & { s3: AwsClients['s3'] } {
  return { ...engineDeps(), s3: lambdaClients().s3 };
}

/** Detect reads a face_image_path and nothing else: the S3 client, no table, no search slots. */
export function detectDeps(): DetectDeps {
  const c = config();
  detect ??= {
    config: c,
    images: new S3ImageStore(lambdaClients().s3, c.IMAGE_BUCKET),
    engine: getFaceEngine,
  };
  return detect;
}

let jobs: JobDeps | undefined;

/**
 * The search jobs' routes in AWS: the search's adapters and engine, the job store, and the Step Functions
 * runner (JOB_STATE_MACHINE_ARN: without it the Lambda has no way to run pieces, so it refuses to start).
 */
export function jobsDeps(): JobDeps {
  if (jobs) return jobs;
  const c = config();
  if (!c.JOB_STATE_MACHINE_ARN) throw new Error('JOB_STATE_MACHINE_ARN is not set');
  const sfn = new SFNClient({});
  translateStorageErrors(sfn);
  jobs = {
    ...engineDeps(),
    jobs: createJobStore(c, lambdaClients()),
    runner: new StepFunctionsJobRunner(
      sfn,
      c.JOB_STATE_MACHINE_ARN,
      new JobSlots(lambdaClients().dynamo, { table: c.EVENTS_TABLE, leaseSeconds: c.JOB_SLOT_LEASE_SECONDS }),
    ),
  };
  return jobs;
}
