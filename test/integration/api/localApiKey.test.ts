/**
 * LOCAL_API_KEY: the local server standing in for the stack's API-key option, over HTTP, so the console's
 * key handling can be tested end to end without AWS.
 */
import { startLocalServer } from '../../../functions/local/server';
import { b64, faceCrop, facesOf, photo, startTestServer } from './helpers';

const KEY = 'local-test-key-0123456789';
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer({ LOCAL_API_KEY: KEY });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

async function call(path: string, init: { key?: string; body?: unknown; method?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (init.key !== undefined) headers['x-api-key'] = init.key;
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, text, type: res.headers.get('content-type') ?? '' };
}

describe('LOCAL_API_KEY', () => {
  it('is required before the server listens anywhere but the loopback (the appliance’s one door)', async () => {
    await expect(startLocalServer({ port: 0, host: '0.0.0.0', env: { LOCAL_API_KEY: '' } })).rejects.toThrow(
      /HOST=0\.0\.0\.0 is reachable from the network: set LOCAL_API_KEY/,
    );
  });

  const API = [
    ['/sophon/v2/face/searchbyimage', {}],
    ['/sophon/v2/face/detect', {}],
    ['/sophon/v2/face/events', {}],
    ['/sophon/v2/face/images/nothing.face', undefined],
    ['/_local/endpoints', undefined],
  ] as const;

  it.each(API)('refuses %s without the key, or with a wrong one, as API Gateway does', async (path, body) => {
    for (const key of [undefined, '', 'wrong-key-0123456789', KEY.slice(0, -1), KEY.toUpperCase()]) {
      const r = await call(path, { key, body });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.text)).toEqual({ error: { code: 'INVALID_API_KEY', message: 'Forbidden' } });
    }
  });

  it('lets calls with the key through to the handlers', async () => {
    const search = await call('/sophon/v2/face/searchbyimage', { key: KEY, body: {} });
    expect(JSON.parse(search.text).error.code).toBe('MISSING_ARGUMENTS');
    const image = await call('/sophon/v2/face/images/nothing.face', { key: KEY });
    expect(image.status).toBe(404);
    const group = photo(1);
    const face = await faceCrop(group, (await facesOf(group))[0]);
    const detect = await call('/sophon/v2/face/detect', { key: KEY, body: { face_image_base64: b64(face) } });
    expect(detect.status).toBe(200);
    expect(JSON.parse(detect.text).fiqa_passed).toBe(true);
  });

  it('serves the console without a key, with a config.js that tells it to ask for one', async () => {
    const page = await call('/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>Face search console</title>');
    const config = await call('/config.js');
    expect(config.type).toMatch(/^text\/javascript/);
    const SOPHON_CONFIG = new Function('window', `${config.text}; return window.SOPHON_CONFIG;`)({});
    expect(SOPHON_CONFIG).toEqual({ apiBase: '', apiKeyRequired: true });
  });

  it('refuses to start with a key too short to be one', async () => {
    await expect(startLocalServer({ port: 0, env: { LOCAL_API_KEY: 'short' } })).rejects.toThrow(
      /LOCAL_API_KEY: at least 8 characters/,
    );
  });
});
