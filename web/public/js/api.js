// The public API, as the console uses it. Every failure becomes an ApiError with a contract code (or a
// gateway's), so the page never has to look at a raw response body or a stack. Where the deployment wants
// an API key (config.js: apiKeyRequired), every call carries it as x-api-key, including image downloads.

import { idToken, signIn } from './signIn.js';

const config = /** @type {{ apiBase?: string, apiKeyRequired?: boolean }} */ (globalThis.SOPHON_CONFIG ?? {});
const apiBase = (config.apiBase ?? '').replace(/\/+$/, '');

/** True when this deployment's API wants an x-api-key header (the local server's LOCAL_API_KEY). */
export const apiKeyRequired = config.apiKeyRequired === true;

/** True when every call, image downloads included, must carry a credential in a header (key or token). */
export const credentialsInHeader = apiKeyRequired || Boolean(signIn);

// sessionStorage: the key lives as long as the tab, is not shared with other tabs, and is never written
// to disk by the page (no localStorage, no cookie).
const KEY_ITEM = 'sophon.apiKey';

export function apiKey() {
  try {
    return sessionStorage.getItem(KEY_ITEM) ?? '';
  } catch {
    return '';
  }
}

export function rememberApiKey(key) {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetApiKey() {
  sessionStorage.removeItem(KEY_ITEM);
}

export class ApiError extends Error {
  /**
   * @param {string} code a contract error code; a gateway's (INVALID_API_KEY, MISSING_AUTHENTICATION_TOKEN,
   *   FORBIDDEN, NOT_FOUND, ...); or NETWORK_ERROR / ABORTED / BAD_RESPONSE from the console
   * @param {string} message the service's short explanation (never shown raw except where it is the reason)
   * @param {number} status the HTTP status, 0 when there was no answer
   */
  constructor(code, message = '', status = 0) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

/**
 * One call of POST /sophon/v2/face/searchbyimage.
 *
 * @param {Record<string, unknown>} body the contract's request fields
 * @param {AbortSignal} [signal]
 * @returns {Promise<Record<string, any>>} the response (events, have_more, endtimestamp, total_time, extras)
 */
export async function searchByImage(body, signal) {
  return postJson('/sophon/v2/face/searchbyimage', body, signal);
}

/**
 * POST /sophon/v2/face/searchjobs (an extension of this service): a search over a long window run in the
 * background. The photo is analysed at once, so photo errors come back here with the contract's codes.
 *
 * @param {Record<string, unknown>} body the search's fields plus max_results
 * @returns {Promise<{ job_id: string, state: string, records_total?: number }>}
 */
export async function startSearchJob(body, signal) {
  return /** @type {any} */ (postJson('/sophon/v2/face/searchjobs', body, signal));
}

/**
 * GET /sophon/v2/face/searchjobs/{job_id}: the job's state, progress and one page of its events.
 *
 * @param {string} jobId
 * @param {string | null} pageToken where the previous page ended (next_page_token), null for the first
 */
export async function readSearchJob(jobId, pageToken, signal) {
  const query = pageToken ? `?page_token=${encodeURIComponent(pageToken)}` : '';
  return requestJson(
    'GET',
    `/sophon/v2/face/searchjobs/${encodeURIComponent(jobId)}${query}`,
    undefined,
    signal,
  );
}

/** DELETE /sophon/v2/face/searchjobs/{job_id}: stops the job; what it found stays readable. */
export async function cancelSearchJob(jobId) {
  return requestJson('DELETE', `/sophon/v2/face/searchjobs/${encodeURIComponent(jobId)}`);
}

/**
 * POST /sophon/v2/face/detect (an extension of this service; older ones answer 404 or 403): the face
 * boxes of a photo and the quality verdict of the face a search would use, without searching.
 *
 * @param {{ face_image_base64: string, fiqa_level: string }} body
 * @param {AbortSignal} [signal]
 */
export async function detectFace(body, signal) {
  return postJson('/sophon/v2/face/detect', body, signal);
}

/**
 * Whether the API takes `key`: a search without a photo, which the service refuses with
 * MISSING_ARGUMENTS once the key has let it through (no search slot is taken, nothing is read).
 *
 * @returns {Promise<boolean>} false when the key is refused; throws ApiError when there is no answer
 */
export async function keyAccepted(key) {
  try {
    await postJson('/sophon/v2/face/searchbyimage', {}, undefined, key);
    return true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (isKeyRefusal(err)) return false;
    if (err.code === 'NETWORK_ERROR') throw err;
    return true;
  }
}

/** A refusal of the key itself (API Gateway's INVALID_API_KEY, or a bare 403 while a key is in use). */
export function isKeyRefusal(err) {
  return apiKeyRequired && (err.code === 'INVALID_API_KEY' || err.code === 'FORBIDDEN');
}

/** URL of a stored face crop or scene image, for an <img> where the API needs no key. */
export function imageUrl(id) {
  return `${apiBase}/sophon/v2/face/images/${encodeURIComponent(id)}`;
}

/**
 * A stored face crop or scene image as a blob: URL, fetched with the key (an <img> cannot send headers).
 * The caller revokes it when the image leaves the page.
 *
 * @returns {Promise<string>}
 */
export async function imageBlobUrl(id, signal) {
  let res;
  try {
    // API Gateway returns binary only when the first Accept type is one of the API's binary media types
    // (image/*); fetch's default */* would bring the image back as base64 text.
    res = await fetch(imageUrl(id), { headers: { Accept: 'image/*', ...authHeaders() }, signal });
  } catch (err) {
    if (signal?.aborted) throw new ApiError('ABORTED');
    throw new ApiError('NETWORK_ERROR', err instanceof Error ? err.message : '');
  }
  if (!res.ok) throw new ApiError(await errorCode(res), '', res.status);
  return URL.createObjectURL(await res.blob());
}

function authHeaders(key = apiKey()) {
  if (signIn) return { Authorization: idToken() };
  return apiKeyRequired && key ? { 'x-api-key': key } : {};
}

async function postJson(path, body, signal, key) {
  return requestJson('POST', path, body, signal, key);
}

async function requestJson(method, path, body, signal, key) {
  let res;
  try {
    res = await fetch(`${apiBase}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...authHeaders(key),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (signal?.aborted) throw new ApiError('ABORTED');
    throw new ApiError('NETWORK_ERROR', err instanceof Error ? err.message : '');
  }
  let data;
  try {
    data = await res.json();
  } catch {
    if (signal?.aborted) throw new ApiError('ABORTED');
    // A proxy's HTML error page or a cut-off body: only the status is worth anything.
    throw new ApiError(res.ok ? 'BAD_RESPONSE' : statusCode(res.status), '', res.status);
  }
  if (!res.ok || data?.error) {
    const code = typeof data?.error?.code === 'string' ? data.error.code : statusCode(res.status);
    const message = typeof data?.error?.message === 'string' ? data.error.message : '';
    throw new ApiError(code, message, res.status);
  }
  return data;
}

async function errorCode(res) {
  try {
    const data = await res.json();
    if (typeof data?.error?.code === 'string') return data.error.code;
  } catch {
    // Not JSON: the status says it all.
  }
  return statusCode(res.status);
}

function statusCode(status) {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'ANOTHER_PICTURE_SEARCH_RUNNING_ERROR';
  if (status === 504) return 'GATEWAY_TIMEOUT';
  if (status === 502 || status === 503) return 'SERVICE_UNAVAILABLE';
  return 'INTERNAL_ERROR';
}
