import { startLocalServer, type LocalServer } from '../../functions/local/server';
import { config, loadConfig } from '../../functions/shared/config';
import { createServices, type Services } from '../../functions/store/services';
import { findLocalServer, isLoopbackEndpoint, type LocalEndpoints } from './localServer';

/** The storage of a running local server, as its endpoints name it. */
export function servicesAt(endpoints: LocalEndpoints): Services {
  const c = loadConfig({
    ...process.env,
    DYNAMODB_ENDPOINT: endpoints.dynamodb,
    S3_ENDPOINT: endpoints.s3,
    EVENTS_TABLE: endpoints.table,
    IMAGE_BUCKET: endpoints.bucket,
  });
  return createServices(c, { localCredentials: isLoopbackEndpoint(endpoints.s3) });
}

/**
 * The storage a maintenance script works on: the configured table and bucket in AWS (`aws`), a running
 * local server's (`url`, default http://127.0.0.1:$PORT), or, with none running, the local data started
 * in this process. `close` stops what was started.
 */
export async function targetServices(o: {
  aws?: boolean;
  url?: string;
}): Promise<{ services: Services; close: () => Promise<void> }> {
  if (o.aws) return { services: createServices(config()), close: async () => undefined };
  const endpoints = await findLocalServer(o.url ?? `http://127.0.0.1:${config().PORT}`);
  if (endpoints) {
    const services = servicesAt(endpoints);
    return { services, close: async () => undefined };
  }
  const server: LocalServer = await startLocalServer({ port: 0 });
  return { services: server.services, close: () => server.close() };
}
