import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { isInside } from '../core/imagePath';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** A file of the console under root for a URL path (`/` is index.html); undefined if none or outside. */
export async function staticFile(
  root: string,
  urlPath: string,
): Promise<{ bytes: Buffer; contentType: string } | undefined> {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (path.includes('\0')) return undefined;
  if (path.endsWith('/')) path += 'index.html';
  const file = resolve(join(root, path));
  if (!isInside(root, file)) return undefined;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return {
    bytes: await readFile(file),
    contentType: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
  };
}
