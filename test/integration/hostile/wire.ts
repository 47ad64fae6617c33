/**
 * The hostile suite's client: raw HTTP (any method, header, body bytes, path) and the check every reply
 * must pass whatever was sent: never a 5xx, always JSON, either the contract's error body with the
 * status the contract gives its code, or a success of the endpoint's shape, and no internals leaked.
 */
import { Agent, request } from 'node:http';
import { ERROR_STATUS } from '../../../functions/core/errors';

/** search, ingest, GET image, DELETE event; and detect (search's query analysis only, docs/api.md). */
export type Route = 'search' | 'detect' | 'ingest' | 'image' | 'delete';

export interface WireReply {
  status: number;
  contentType: string;
  text: string;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

/** No keep-alive: each case gets a fresh connection, so one case's damage cannot hide in the next. */
const agent = new Agent({ keepAlive: false });

export interface SendOptions {
  method?: string;
  body?: Buffer | string;
  /** `undefined` for a header means: do not send it. */
  headers?: Record<string, string | undefined>;
}

/** One request; resolves with whatever came back, and rejects only if the connection failed. */
export function send(url: string, opts: SendOptions = {}): Promise<Omit<WireReply, 'body'>> {
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = v;
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The image and erasure paths: an unknown id (docs/api.md), the local server's answer to a method no
 * route takes (`DELETE /sophon/v2/face/events/` is the ingest path), and to a request HTTP cannot parse.
 */
const BY_ID_CODES: Record<string, number> = {
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_ARGUMENTS: 400,
};

/** Strings an error message must never carry: a stack frame, a file path, a long base64 run. */
const LEAKS = [/\n\s+at /, /\/(tmp|work|home|etc|var)\//, /[A-Za-z0-9+/]{64,}/, /sophon-face-images/];

function successShape(route: Route, status: number, body: Record<string, unknown>, batch: boolean): void {
  if (route === 'search') {
    expect(status).toBe(200);
    expect(body).toEqual(
      expect.objectContaining({
        events: expect.any(Array),
        have_more: expect.any(Boolean),
        total_time: expect.any(Number),
        endtimestamp: expect.any(Number),
      }),
    );
  } else if (route === 'detect') {
    expect(status).toBe(200);
    expect(body).toEqual(
      expect.objectContaining({
        faces: expect.any(Array),
        query_face: expect.any(Object),
        fiqa_passed: expect.any(Boolean),
      }),
    );
  } else if (route === 'ingest' && batch) {
    expect(status).toBe(200);
    for (const item of body.events as Record<string, unknown>[]) {
      if ('error' in item) checkErrorBody({ error: item.error } as WireReply['body'], undefined, route);
      else
        expect(item).toEqual(
          expect.objectContaining({ status: expect.stringMatching(/^(created|duplicate)$/) }),
        );
    }
  } else if (route === 'ingest') {
    expect(body).toEqual(
      expect.objectContaining({
        event_id: expect.any(String),
        status: status === 201 ? 'created' : 'duplicate',
      }),
    );
  } else if (route === 'delete') {
    expect(body).toEqual({ event_id: expect.any(String), deleted: true });
  }
}

function checkErrorBody(body: WireReply['body'], status: number | undefined, route: Route): void {
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error ?? {}).sort()).toEqual(['code', 'message']);
  const { code, message } = body.error!;
  expect(typeof message).toBe('string');
  // Every error says something; argument errors name the key first, then what is allowed.
  expect(message).not.toBe('');
  if (code === 'INVALID_ARGUMENTS' || code === 'MISSING_ARGUMENTS')
    expect(message).toMatch(/^[A-Za-z][\w.[\]-]*: \S/);
  for (const leak of LEAKS) expect(message).not.toMatch(leak);
  const contractStatus =
    route === 'image' || route === 'delete'
      ? BY_ID_CODES[code]
      : (ERROR_STATUS as Record<string, number>)[code];
  expect({ code, known: contractStatus !== undefined }).toEqual({ code, known: true });
  if (status !== undefined) expect({ code, status }).toEqual({ code, status: contractStatus });
}

/**
 * Checks a reply against the contract and returns it parsed. Any 5xx fails, with the body shown.
 * `batch`: the ingest body was a batch (its 200 lists one result or error per event).
 */
export function checkReply(route: Route, raw: Omit<WireReply, 'body'>, batch = false): WireReply {
  expect({ status: raw.status, text: raw.text.slice(0, 300) }).toEqual({
    status: raw.status < 500 ? raw.status : 'not a 5xx',
    text: raw.text.slice(0, 300),
  });
  if (route === 'image' && raw.status === 200) {
    expect(raw.contentType).toMatch(/^image\/(jpeg|png|webp)$/);
    return { ...raw, body: {} };
  }
  expect(raw.contentType).toMatch(/^application\/json/);
  let body: WireReply['body'];
  try {
    body = JSON.parse(raw.text) as WireReply['body'];
  } catch {
    throw new Error(`not JSON (${raw.status}): ${raw.text.slice(0, 200)}`);
  }
  expect(typeof body === 'object' && body !== null && !Array.isArray(body)).toBe(true);
  if (raw.status >= 400) checkErrorBody(body, raw.status, route);
  else successShape(route, raw.status, body, batch);
  return { ...raw, body };
}

/** The error code of a reply, or 'ok' for a success: what the corpus tables expect. */
export const outcome = (r: WireReply) => r.body.error?.code ?? 'ok';

/** Peak and latest resident memory of this process (the server runs in it), sampled in the background. */
export class RssWatch {
  peak = process.memoryUsage().rss;
  /** Resident memory when watching started: jest runs suites in one process, so earlier suites' heap is in it. */
  baseline = this.peak;
  private timer?: NodeJS.Timeout;
  start(): this {
    this.baseline = this.peak = process.memoryUsage().rss;
    this.timer = setInterval(() => this.sample(), 20);
    this.timer.unref();
    return this;
  }
  sample(): number {
    const rss = process.memoryUsage().rss;
    this.peak = Math.max(this.peak, rss);
    return rss;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
