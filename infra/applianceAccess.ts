import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * The appliance's non-loopback addresses on which something accepts connections on `port`. LocalStack
 * community enforces no IAM: whoever reaches its port reads the table and the bucket and calls every
 * function, so on the appliance it must listen on the loopback only (GATEWAY_LISTEN=127.0.0.1:4566),
 * and `npm run deploy:local` refuses to deploy while this list is not empty.
 */
export async function exposedAddresses(port: number, timeoutMs = 500): Promise<string[]> {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal)
    .map((a) => a!.address);
  const open = await Promise.all(addresses.map((address) => accepts(address, port, timeoutMs)));
  return addresses.filter((_, i) => open[i]);
}

function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** True for an endpoint on this machine's loopback (localhost.localstack.cloud resolves to 127.0.0.1). */
export const isLoopbackUrl = (url: string): boolean =>
  /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|localhost\.localstack\.cloud|\[::1\])(:\d+)?(\/|$)/.test(url);
