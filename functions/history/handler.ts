import { config } from '../shared/config';
import { createAwsClients } from '../store/clients';
import type { CompactionReport } from './compactor';
import { createCompactor } from './services';

// Created once per container, reused by every scheduled invocation.
let compactor: ReturnType<typeof createCompactor> | undefined;

/** The compactor Lambda: one run per EventBridge schedule tick (the event itself carries nothing we need). */
export async function handler(): Promise<CompactionReport> {
  compactor ??= createCompactor(config(), createAwsClients(config()));
  return compactor.run();
}
