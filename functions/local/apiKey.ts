import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The local stand-in for the stack's API-key option: true when the request carries `expected` in
 * `x-api-key`. Digests are compared in constant time, so neither the key nor its length leaks through
 * timing. Without an expected key every request passes.
 */
export function apiKeyAccepted(req: IncomingMessage, expected: string | undefined): boolean {
  if (!expected) return true;
  const given = req.headers['x-api-key'];
  if (typeof given !== 'string' || given === '') return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** API Gateway's rejection of a missing or wrong key, in the stack's gateway-response body. */
export const INVALID_API_KEY_BODY = JSON.stringify({
  error: { code: 'INVALID_API_KEY', message: 'Forbidden' },
});
