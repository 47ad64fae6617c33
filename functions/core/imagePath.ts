import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ContractError } from './errors';

export interface ImagePathPolicy {
  imageBucket: string;
  allowedBuckets: readonly string[];
  /** Local profile only: a folder whose files may be read. */
  imageRoot?: string;
}

/** Where a face_image_path may be read from, in the order to try. */
export type ImageLocation = { kind: 's3'; bucket: string; key: string } | { kind: 'file'; path: string };

const notOpened = () => new ContractError('IMAGE_NOT_OPENED');

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
  if (path.includes('\0') || path.includes('\\') || path.length > 1024) throw notOpened();
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(path);
  if (s3) {
    const [, bucket, key] = s3;
    if (bucket !== policy.imageBucket && !policy.allowedBuckets.includes(bucket)) throw notOpened();
    if (key.split('/').some((p) => p === '..' || p === '.')) throw notOpened();
    return [{ kind: 's3', bucket, key }];
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw notOpened(); // other schemes: http://, file://
  const parts = path.split('/');
  if (parts.some((p) => p === '..' || p === '.')) throw notOpened();
  const key = parts.filter(Boolean).join('/');
  if (!key) throw notOpened();
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
