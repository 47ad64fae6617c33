import { jobsDeps } from '../composition/faceLambda';
import { createMetrics } from '../observability/metrics';
import { withRequestContext } from '../observability/requestContext';
import { config } from '../shared/config';
import { createJobsHandler } from './handler';

/** The jobs Lambda's entry (API routes /searchjobs): the Step Functions runner composed in faceLambda.ts. */
export const handler = withRequestContext(
  createJobsHandler(jobsDeps, () => config().CORS_ORIGINS, createMetrics('jobs')),
);
