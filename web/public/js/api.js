// The public API, as the console uses it. Every failure becomes an ApiError with a contract code, so the
// page never has to look at a raw response body or a stack.

const config = /** @type {{ apiBase?: string }} */ (globalThis.SOPHON_CONFIG ?? {});
const apiBase = (config.apiBase ?? '').replace(/\/+$/, '');

export class ApiError extends Error {
  /**
   * @param {string} code a contract error code, or NETWORK_ERROR / ABORTED / BAD_RESPONSE from the console
   * @param {string} message the service's short explanation (never shown raw except where it is the reason)
   */
  constructor(code, message = '') {
    super(message);
    this.name = 'ApiError';
    this.code = code;
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

/** URL of a stored face crop or scene image, for an <img>. */
export function imageUrl(id) {
  return `${apiBase}/sophon/v2/face/images/${encodeURIComponent(id)}`;
}

async function postJson(path, body, signal) {
  let res;
  try {
    res = await fetch(`${apiBase}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
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
    throw new ApiError(res.ok ? 'BAD_RESPONSE' : statusCode(res.status));
  }
  if (!res.ok || data?.error) {
    const code = typeof data?.error?.code === 'string' ? data.error.code : statusCode(res.status);
    const message = typeof data?.error?.message === 'string' ? data.error.message : '';
    throw new ApiError(code, message);
  }
  return data;
}

function statusCode(status) {
  if (status === 429) return 'ANOTHER_PICTURE_SEARCH_RUNNING_ERROR';
  if (status === 504) return 'GATEWAY_TIMEOUT';
  if (status === 502 || status === 503) return 'SERVICE_UNAVAILABLE';
  return 'INTERNAL_ERROR';
}
