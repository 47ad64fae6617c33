import type { Browser } from 'playwright-core';
import type { MediaDeviceInfo } from '../../functions/core/event';
import type { StoredEvent } from '../../functions/store/types';
import { syntheticEvent } from '../../scripts/seed/synthetic';
import { launchBrowser } from './browser';
import { startServerProcess, type ServerProcess } from './serverProcess';

export interface ConsoleSuite {
  server: ServerProcess;
  browser: Browser;
}

/**
 * One real local server and one Chromium for a suite: the browser launches while the server starts and
 * `seed` writes the suite's history; both close after the suite. Read the fields inside tests (they are
 * set in beforeAll).
 *
 * @example const suite = consoleSuite({ seed: (server) => seedPeople(server.url, times) });
 */
export function consoleSuite(opts: {
  env?: Record<string, string>;
  seed: (server: ServerProcess) => Promise<void>;
}): ConsoleSuite {
  const suite = {} as ConsoleSuite;
  beforeAll(async () => {
    const launched = launchBrowser();
    suite.server = await startServerProcess(opts.env);
    await opts.seed(suite.server);
    suite.browser = await launched;
  }, 300_000);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}

/** A stranger's event without images on `device`, its face `code`: as the synthetic seeder writes them. */
export function imagelessEvent(
  eventId: string,
  timestampMs: number,
  device: MediaDeviceInfo,
  code: Uint8Array | Float32Array,
): StoredEvent {
  return syntheticEvent(timestampMs, device.media_device_id, code, { media_device_info: device }, eventId);
}
