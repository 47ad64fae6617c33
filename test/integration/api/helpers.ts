import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { getFaceEngine } from '../../../functions/face';
import type { Box } from '../../../functions/core/face';
import { type LocalServer, startLocalServer } from '../../../functions/local/server';
import { createAwsClients } from '../../../functions/store/clients';
import { dropTable, sharedDynamoEndpoint, uniqueTable } from '../dynamoTarget';
import { assertConforms } from './openapiConformance';

export const PHOTOS = join(__dirname, '../../../build/fixtures/photos');
export const photo = (n: number) => readFileSync(join(PHOTOS, `sample${n}.jpg`));

/**
 * A real local server (dynalite + s3rver + HTTP) on a random port with its own temporary data folder.
 * Under `npm run test:dynamodb-local` it uses that DynamoDB Local instead of dynalite, with a table of
 * its own.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  opts: { tableInMemory?: boolean } = {},
): Promise<LocalServer & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sfs-it-'));
  const shared = sharedDynamoEndpoint();
  // Never inherit a developer's endpoints: the test owns its stand-ins.
  const server = await startLocalServer({
    port: 0,
    dataDir,
    tableInMemory: opts.tableInMemory,
    env: {
      DYNAMODB_ENDPOINT: shared ?? '',
      S3_ENDPOINT: '',
      // DynamoDB Local serves a 1 MB query page in 0.1-2.3 s (docs/store.md, Conformance), and a search
      // reads up to 12 such pages at once: the 5 s hung-endpoint timeout is for the cloud, not for it.
      ...(shared ? { EVENTS_TABLE: uniqueTable(), STORAGE_REQUEST_TIMEOUT_MS: '60000' } : {}),
      ...env,
    },
  });
  return {
    ...server,
    dataDir,
    close: async () => {
      await server.close();
      if (shared) {
        const { dynamo } = createAwsClients(server.config, { localCredentials: true });
        await dropTable(dynamo, server.config.EVENTS_TABLE);
        dynamo.destroy();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

/** The request as JSON, or undefined when it is not JSON (then only the reply is checked). */
function requestJson(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

export async function post(url: string, body: unknown, contentType = 'application/json'): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const reply = { status: res.status, body: (await res.json()) as Reply['body'] };
  // Every exchange of the suites that post through here is checked against the OpenAPI description.
  assertConforms(
    'POST',
    url,
    requestJson(body),
    reply.status,
    reply.body,
    res.headers.get('content-type') ?? '',
  );
  return reply;
}

/** One person's face cut out of a group photo, with margin: a single-face query or event photo. */
export async function faceCrop(bytes: Buffer, box: Box, grow = 0.6): Promise<Buffer> {
  const meta = await sharp(bytes).metadata();
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const left = Math.max(0, Math.round(box[0] - grow * w));
  const top = Math.max(0, Math.round(box[1] - grow * h));
  const width = Math.min(meta.width! - left, Math.round(w * (1 + 2 * grow)));
  const height = Math.min(meta.height! - top, Math.round(h * (1 + 2 * grow)));
  return sharp(bytes).extract({ left, top, width, height }).jpeg({ quality: 92 }).toBuffer();
}

/** The faces of a group photo, largest first. */
export async function facesOf(bytes: Buffer): Promise<Box[]> {
  const { faces } = await getFaceEngine().detectAll(bytes);
  const area = (b: Box) => (b[2] - b[0]) * (b[3] - b[1]);
  return faces.map((f) => f.box).sort((a, b) => area(b) - area(a));
}

export const b64 = (b: Buffer) => b.toString('base64');
