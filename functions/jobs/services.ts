import type { Config } from '../shared/config';
import type { AwsClients } from '../store/clients';
import { JobStore } from './jobStore';

/** The job store of a configuration: the events table and the image bucket (`jobs/`); `index`: the local server's (sweep). */
export function createJobStore(c: Config, clients: AwsClients, opts: { index?: boolean } = {}): JobStore {
  return new JobStore(clients.dynamo, clients.s3, {
    index: opts.index,
    table: c.EVENTS_TABLE,
    bucket: c.IMAGE_BUCKET,
    encryption: c.IMAGE_KMS_KEY_ID ? { kind: 'aws:kms', keyId: c.IMAGE_KMS_KEY_ID } : { kind: 'AES256' },
  });
}
