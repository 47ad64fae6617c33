import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { exposedAddresses, isLoopbackUrl } from '../../../infra/applianceAccess';

const listen = (host: string) =>
  new Promise<Server>((resolve) => {
    const s = createServer((c) => c.destroy());
    s.listen(0, host, () => resolve(s));
  });
const portOf = (s: Server) => (s.address() as { port: number }).port;
const close = (s: Server) => new Promise((r) => s.close(r));
const external = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a && !a.internal && a.family === 'IPv4')
  .map((a) => a!.address);

describe('the appliance check before deploy:local', () => {
  it('finds nothing exposed for a listener on the loopback only', async () => {
    const s = await listen('127.0.0.1');
    try {
      expect(await exposedAddresses(portOf(s))).toEqual([]);
    } finally {
      await close(s);
    }
  });

  it('finds every external address of a listener on all interfaces', async () => {
    const s = await listen('0.0.0.0');
    try {
      expect(await exposedAddresses(portOf(s))).toEqual(expect.arrayContaining(external));
    } finally {
      await close(s);
    }
  });

  it('tells loopback endpoints from others', () => {
    expect(isLoopbackUrl('http://localhost.localstack.cloud:4566')).toBe(true);
    expect(isLoopbackUrl('http://127.0.0.1:4566')).toBe(true);
    expect(isLoopbackUrl('http://10.0.0.5:4566')).toBe(false);
    expect(isLoopbackUrl('http://localhost.evil.example:4566')).toBe(false);
  });
});
