import { ContractError } from '../../../functions/core/errors';
import { locateImage, PATH_NOT_OPENED } from '../../../functions/core/imagePath';

const policy = { imageBucket: 'images', allowedBuckets: ['partner'], imageRoot: '/srv/photos' };

describe('locateImage', () => {
  it('maps a path to a key of the image bucket', () => {
    expect(locateImage('/data/test.jpg', { ...policy, imageRoot: undefined })).toEqual([
      { kind: 's3', bucket: 'images', key: 'data/test.jpg' },
    ]);
  });

  it('reads allow-listed buckets only', () => {
    expect(locateImage('s3://partner/a/b.jpg', policy)).toEqual([
      { kind: 's3', bucket: 'partner', key: 'a/b.jpg' },
    ]);
    expect(() => locateImage('s3://other/a.jpg', policy)).toThrow(
      new ContractError('IMAGE_NOT_OPENED', PATH_NOT_OPENED),
    );
  });

  it('in the local profile tries the file under the root first', () => {
    expect(locateImage('/srv/photos/alice/1.jpg', policy)).toEqual([
      { kind: 'file', path: '/srv/photos/alice/1.jpg' },
      { kind: 's3', bucket: 'images', key: 'srv/photos/alice/1.jpg' },
    ]);
    expect(locateImage('alice/1.jpg', policy)[0]).toEqual({ kind: 'file', path: '/srv/photos/alice/1.jpg' });
  });

  it('never names a file outside the root', () => {
    expect(locateImage('/etc/passwd', policy)).toEqual([
      { kind: 'file', path: '/srv/photos/etc/passwd' },
      { kind: 's3', bucket: 'images', key: 'etc/passwd' },
    ]);
  });

  it.each([
    '../etc/passwd',
    '/srv/photos/../../etc/passwd',
    'a/./b',
    's3://images/../x',
    'a\\..\\b',
    'file:///etc/passwd',
    'a\0b',
    '/',
    'a'.repeat(201),
    `cam/${'é'.repeat(101)}.jpg`,
    `s3://images/${'abcdefghi/'.repeat(103)}`,
    'x/'.repeat(3000),
  ])('refuses %p', (p) => {
    expect(() => locateImage(p, policy)).toThrow(new ContractError('IMAGE_NOT_OPENED', PATH_NOT_OPENED));
  });

  it("reads keys up to S3's 1,024 bytes made of segments up to 200 bytes", () => {
    const key = Array.from({ length: 5 }, () => 'k'.repeat(200)).join('/');
    expect(Buffer.byteLength(key)).toBe(1004);
    expect(locateImage(`s3://images/${key}`, policy)).toEqual([{ kind: 's3', bucket: 'images', key }]);
    expect(locateImage(`/${key}`, { ...policy, imageRoot: undefined })).toEqual([
      { kind: 's3', bucket: 'images', key },
    ]);
  });
});
