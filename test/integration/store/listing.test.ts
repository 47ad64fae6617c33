/**
 * Listing past 1,000 objects (issue 14): s3rver's continuation token used DES, which OpenSSL 3 refuses,
 * so the second page of any listing failed (`npm run reconcile` on a store of more than 1,000 images).
 * scripts/patch-s3rver.mjs (postinstall) switches it to AES; this lists 2,100 images (three pages) through the real
 * stand-in and the image store's paging.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../functions/shared/config';
import { startStandIns, type StandIns } from '../../../functions/local/standIns';
import { createServices, type Services } from '../../../functions/store/services';

const N = 2100;
let dir: string;
let standIns: StandIns;
let services: Services;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sfs-list-'));
  const c = loadConfig({ ...process.env, DYNAMODB_ENDPOINT: 'http://127.0.0.1:1', S3_ENDPOINT: '' });
  standIns = await startStandIns(dir, c.IMAGE_BUCKET, { dynamodb: false });
  services = createServices({ ...c, S3_ENDPOINT: standIns.s3Endpoint }, { localCredentials: true });
  const ids = Array.from({ length: N }, (_, i) => `ev-${String(i).padStart(5, '0')}.face`);
  let next = 0;
  const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < ids.length)
        await services.images.put(ids[next++], bytes, 'image/jpeg', { eventTimestampMs: 1 });
    }),
  );
}, 300_000);

afterAll(async () => {
  services?.clients.s3.destroy();
  await standIns?.close();
  rmSync(dir, { recursive: true, force: true });
});

it(`lists all ${N} images, page by page, each once`, async () => {
  const seen: string[] = [];
  let pages = 0;
  for await (const page of services.images.list()) {
    pages++;
    seen.push(...page.map((p) => p.imageId));
  }
  expect(pages).toBe(3);
  expect(new Set(seen).size).toBe(N);
  expect(seen).toHaveLength(N);
});
