import { jobsDeps } from '../composition/faceLambda';
import { config } from '../shared/config';
import { createJobsHandler } from './handler';

/** The jobs Lambda's entry (API routes /searchjobs): the Step Functions runner composed in faceLambda.ts. */
export const handler = createJobsHandler(jobsDeps, () => config().CORS_ORIGINS);
