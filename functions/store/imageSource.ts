import { open, realpath } from 'node:fs/promises';
import { ContractError, invalidArgument } from '../core/errors';
import type { ImageSource } from '../core/contract';
import { type ImagePathPolicy, isInside, locateImage, PATH_NOT_OPENED } from '../core/imagePath';
import { isStorageUnavailable } from './errors';
import { ImageTooLargeError } from './s3ImageStore';
import type { ImageStore } from './types';

/**
 * The bytes of a request's image: decoded base64 as is, or a face_image_path read from the only places
 * it may name (core/imagePath.ts). A path that cannot be read is IMAGE_NOT_OPENED whatever the reason,
 * so a probe learns nothing about what exists; an image over maxBytes is INVALID_ARGUMENTS.
 */
export async function readImageSource(
  source: ImageSource,
  policy: ImagePathPolicy,
  images: ImageStore,
  maxBytes: number,
  field = 'face_image_path',
): Promise<Buffer> {
  if (source.kind === 'bytes') return source.bytes;
  for (const place of locateImage(source.path, policy)) {
    try {
      const bytes =
        place.kind === 'file'
          ? await readLocalFile(place.path, policy.imageRoot!, maxBytes)
          : await images.readObject(place.bucket, place.key, maxBytes);
      if (bytes) return bytes;
    } catch (err) {
      if (err instanceof ImageTooLargeError)
        throw invalidArgument(field, `must be an image of at most ${maxBytes} bytes`);
      if (isStorageUnavailable(err)) throw err;
      // Access denied, not a file, a bad key: all just "not opened".
    }
  }
  throw new ContractError('IMAGE_NOT_OPENED', PATH_NOT_OPENED);
}

async function readLocalFile(path: string, root: string, maxBytes: number): Promise<Buffer | undefined> {
  // Symlinks could point out of the root: compare real paths.
  const [realRoot, real] = await Promise.all([realpath(root), realpath(path).catch(() => undefined)]);
  if (!real || !isInside(realRoot, real)) return undefined;
  const file = await open(real, 'r');
  try {
    const info = await file.stat();
    if (!info.isFile()) return undefined;
    if (info.size > maxBytes) throw new ImageTooLargeError();
    return await file.readFile();
  } finally {
    await file.close();
  }
}
