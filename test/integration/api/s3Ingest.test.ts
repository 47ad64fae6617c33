/** The S3-triggered ingest against s3rver and dynalite: an upload with metadata becomes an event. */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { getFaceEngine } from '../../../functions/face';
import { createS3IngestHandler } from '../../../functions/ingest/s3Handler';
import { createAwsClients } from '../../../functions/store/clients';
import { faceCrop, facesOf, photo, startTestServer } from './helpers';
import { readRecords } from '../../support/history';
import { cutBodies } from '../faults/faultKit';
import { StorageUnavailableError } from '../../../functions/store/errors';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  // The photo's fixed timestamp is older than the default 90 days: DynamoDB Local's TTL would remove it.
  server = await startTestServer({ RETENTION_DAYS: '36500' });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const notification = (bucket: string, key: string): S3Event =>
  ({
    Records: [{ s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key) } } }],
  }) as unknown as S3Event;

it('ingests a photo dropped under the upload prefix, once, and removes the upload', async () => {
  const { s3 } = createAwsClients(server.config, { localCredentials: true });
  const bucket = server.config.IMAGE_BUCKET;
  const group = photo(3);
  const face = await faceCrop(group, (await facesOf(group))[0]);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'incoming/door 1.jpg',
      Body: face,
      ContentType: 'image/jpeg',
      Metadata: { timestamp: '1764000000000', 'media-device-id': 'cam-7', 'identity-name': 'carol' },
    }),
  );
  const handler = createS3IngestHandler(() => ({ services: server.services, engine: getFaceEngine, s3 }));
  expect(await handler(notification(bucket, 'incoming/door 1.jpg'))).toEqual({ ingested: 1, rejected: 0 });
  await expect(
    s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'incoming/door 1.jpg' })),
  ).rejects.toMatchObject({
    name: 'NoSuchKey',
  });
  // A redelivered notification finds nothing left to do; other prefixes are ignored.
  expect(await handler(notification(bucket, 'incoming/door 1.jpg'))).toEqual({ ingested: 0, rejected: 0 });
  expect(await handler(notification(bucket, 'images/x.face'))).toEqual({ ingested: 0, rejected: 0 });

  const found = [];
  const history = server.services.history.records({
    range: { fromMs: 1764000000000, toMs: 1764000000000 },
    reverse: true,
  });
  for (const r of await readRecords(history, { docs: true })) {
    found.push(JSON.parse(r.doc));
  }
  expect(found).toEqual([
    expect.objectContaining({
      identity_name: 'carol',
      timestamp: 1764000000,
      media_device_info: expect.objectContaining({ media_device_id: 'cam-7' }),
    }),
  ]);
});

it('leaves a photo without a face in place', async () => {
  const { s3 } = createAwsClients(server.config, { localCredentials: true });
  const bucket = server.config.IMAGE_BUCKET;
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'incoming/blank.jpg', Body: Buffer.from('no image') }),
  );
  const handler = createS3IngestHandler(() => ({ services: server.services, engine: getFaceEngine, s3 }));
  expect(await handler(notification(bucket, 'incoming/blank.jpg'))).toEqual({ ingested: 0, rejected: 1 });
  expect(
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'incoming/blank.jpg' }))).ContentLength,
  ).toBe(8);
});

it('an upload whose body is lost mid-read: StorageUnavailableError (Lambda retries), the upload left in place', async () => {
  const { s3 } = createAwsClients(server.config, { localCredentials: true });
  const bucket = server.config.IMAGE_BUCKET;
  const group = photo(3);
  const face = await faceCrop(group, (await facesOf(group))[0]);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'incoming/cut.jpg', Body: face }));
  const cut = cutBodies(s3, (key) => key === 'incoming/cut.jpg');
  const handler = createS3IngestHandler(() => ({ services: server.services, engine: getFaceEngine, s3 }));
  try {
    await expect(handler(notification(bucket, 'incoming/cut.jpg'))).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    expect(cut.cuts()).toBe(1);
  } finally {
    cut.stop();
  }
  expect(
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'incoming/cut.jpg' }))).ContentLength,
  ).toBe(face.length);
});
