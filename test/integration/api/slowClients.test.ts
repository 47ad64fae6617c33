/**
 * Slow and idle clients against the real local server (issue 14): before, a body sent at 1 byte/s got
 * no timeout, and idle connections stayed open past 100 s with no cap on their number. Each setting
 * (functions/shared/config.ts, LOCAL_*) is set small here and checked over a raw socket. No timing is
 * asserted: each check waits for the server to act, bounded by the test timeout only.
 */
import { connect, type Socket } from 'node:net';
import { startTestServer } from './helpers';

type Server = Awaited<ReturnType<typeof startTestServer>>;
let server: Server;

beforeAll(async () => {
  server = await startTestServer({
    LOCAL_HEADERS_TIMEOUT_MS: '1000',
    LOCAL_REQUEST_TIMEOUT_MS: '1500',
    LOCAL_KEEP_ALIVE_TIMEOUT_MS: '300',
    LOCAL_MAX_CONNECTIONS: '3',
  });
});
afterAll(() => server.close());

/** A raw connection: what it received, and whether the server ended it. */
async function open(): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(server.port, '127.0.0.1');
  let data = '';
  socket.on('data', (d) => (data += d.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, received: () => data, closed };
}

/** Writes `text` a byte every 50 ms until the socket closes or the text runs out; bytes written. */
async function trickle(socket: Socket, text: string): Promise<number> {
  let sent = 0;
  while (sent < text.length && !socket.destroyed && socket.writable) {
    socket.write(text[sent++]);
    await new Promise((r) => setTimeout(r, 50));
  }
  return sent;
}

it('a body sent byte by byte is cut at the request deadline with 408', async () => {
  const c = await open();
  c.socket.write(
    'POST /sophon/v2/face/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n',
  );
  const sent = await trickle(c.socket, 'x'.repeat(2000)); // 100 s at this pace
  await c.closed;
  expect(sent).toBeLessThan(2000);
  expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
});

it('headers sent byte by byte are cut at the header deadline with 408', async () => {
  const c = await open();
  c.socket.write('GET /_local/endpoints HTTP/1.1\r\nHost: x\r\n');
  const sent = await trickle(c.socket, `X-Slow: ${'y'.repeat(2000)}\r\n\r\n`);
  await c.closed;
  expect(sent).toBeLessThan(2000);
  expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
});

it('an idle keep-alive connection is closed by the server after a request', async () => {
  const c = await open();
  c.socket.write('GET /_local/endpoints HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
  await c.closed; // we never close it
  expect(c.received()).toMatch(/^HTTP\/1\.1 200/);
  expect(c.received()).toMatch(/Keep-Alive: timeout=0/i);
});

it('connections past the cap are refused; those within it are served', async () => {
  const held = [await open(), await open(), await open()];
  const extra = await open();
  await extra.closed;
  expect(extra.received()).toBe('');
  held[0].socket.write('GET /_local/endpoints HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await held[0].closed;
  expect(held[0].received()).toMatch(/^HTTP\/1\.1 200/);
  for (const h of held) h.socket.destroy();
});
