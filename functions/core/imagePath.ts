import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ContractError } from './errors';

export interface ImagePathPolicy {
  imageBucket: string;
  allowedBuckets: readonly string[];
  /** Local profile only: a folder whose files may be read. */
  imageRoot?: string;
  /** Only keys of the image bucket under this prefix (ingest: its upload prefix). */
  keyPrefix?: string;
}

/** Where a face_image_path may be read from, in the order to try. */
export type ImageLocation = { kind: 's3'; bucket: string; key: string } | { kind: 'file'; path: string };

/** One message whatever the cause (missing, outside the root, denied), and never the path itself. */
export const PATH_NOT_OPENED =
  'face_image_path: cannot be read; it must name an image under the image root or in the image bucket';
const notOpened = () => new ContractError('IMAGE_NOT_OPENED', PATH_NOT_OPENED);

/** S3's own limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/**
 * Longest key segment (between slashes) we read, in UTF-8 bytes. S3 itself has no such limit, but
 * filesystem-backed stand-ins (s3rver in the local profile) store a segment as a file name of at most
 * 255 bytes with a suffix added, and fail with a server error past it; no camera names files this long.
 */
export const MAX_SEGMENT_BYTES = 200;

/** Longer than any key could be (before its bucket and slashes are taken off): not worth parsing. */
function tooLong(path: string): boolean {
  return (
    path.length > 2 * MAX_KEY_BYTES || path.split('/').some((p) => Buffer.byteLength(p) > MAX_SEGMENT_BYTES)
  );
}

/** True when `child` (resolved) lies strictly inside `root`. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(resolve(root), resolve(child));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..');
}

/**
 * The places a face_image_path names, never anything outside the image bucket, the allow-listed buckets
 * and (locally) the image root. `..` segments, NUL bytes and backslashes are refused outright: no
 * legitimate key needs them and they are how traversal starts.
 *
 * @example locateImage('/data/test.jpg', policy) // [{ kind: 's3', bucket: policy.imageBucket, key: 'data/test.jpg' }]
 */
export function locateImage(path: string, policy: ImagePathPolicy): ImageLocation[] {
  if (path.includes('\0') || path.includes('\\') || tooLong(path)) throw notOpened();
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(path);
  if (s3) {
    const [, bucket, key] = s3;
    if (bucket !== policy.imageBucket && !policy.allowedBuckets.includes(bucket)) throw notOpened();
    if (key.split('/').some((p) => p === '..' || p === '.') || Buffer.byteLength(key) > MAX_KEY_BYTES)
      throw notOpened();
    if (policy.keyPrefix !== undefined && !key.startsWith(policy.keyPrefix)) throw notOpened();
    return [{ kind: 's3', bucket, key }];
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw notOpened(); // other schemes: http://, file://
  const parts = path.split('/');
  if (parts.some((p) => p === '..' || p === '.')) throw notOpened();
  const key = parts.filter(Boolean).join('/');
  if (!key || Buffer.byteLength(key) > MAX_KEY_BYTES) throw notOpened();
  if (policy.keyPrefix !== undefined && !key.startsWith(policy.keyPrefix)) throw notOpened();
  const out: ImageLocation[] = [];
  if (policy.imageRoot) {
    // An absolute path inside the root names that file; any other path is taken relative to the root.
    const root = resolve(policy.imageRoot);
    const file = isAbsolute(path) && isInside(root, path) ? resolve(path) : resolve(root, key);
    if (isInside(root, file)) out.push({ kind: 'file', path: file });
  }
  out.push({ kind: 's3', bucket: policy.imageBucket, key });
  return out;
}
