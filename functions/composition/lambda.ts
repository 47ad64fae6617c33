import { config } from '../shared/config';
import { type AwsClients, createAwsClients } from '../store/clients';
import { createServices, type Services } from '../store/services';

/**
 * The Lambda process's composition root: its SDK clients and storage adapters, each built once on first
 * use and reused by every invocation the container serves. Handlers take from here (or, with the face
 * engine, from faceLambda.ts) only what their use case needs. No face engine here: the images and
 * reconcile functions import this module and must not load ONNX Runtime.
 */
let clients: AwsClients | undefined;
let services: Services | undefined;

/** The process's one DynamoDB and one S3 client (store/clients.ts: timeouts, retries). */
export function lambdaClients(): AwsClients {
  clients ??= createAwsClients(config());
  return clients;
}

/** The storage adapters over those clients. */
export function lambdaServices(): Services {
  services ??= createServices(config(), { clients: lambdaClients() });
  return services;
}
