import type { Config } from '../shared/config';
import type { AwsClients } from '../store/clients';
import { JobStore } from './jobStore';

/** The job store of a configuration: the events table and the image bucket (`jobs/`). */
export function createJobStore(c: Config, clients: AwsClients): JobStore {
  return new JobStore(clients.dynamo, clients.s3, {
    table: c.EVENTS_TABLE,
    bucket: c.IMAGE_BUCKET,
    encryption: c.IMAGE_KMS_KEY_ID ? { kind: 'aws:kms', keyId: c.IMAGE_KMS_KEY_ID } : { kind: 'AES256' },
  });
}
