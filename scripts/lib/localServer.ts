import { DataDirLockedError, lockHolder } from '../../functions/local/dataDirLock';

/** Where a running local server (`npm start`) keeps its data: what `GET /_local/endpoints` answers. */
export type LocalEndpoints = { dynamodb?: string; s3?: string; table: string; bucket: string };

/** The running local server's endpoints, or undefined when none answers at `url`. */
export async function findLocalServer(url: string): Promise<LocalEndpoints | undefined> {
  try {
    const res = await fetch(`${url}/_local/endpoints`, { signal: AbortSignal.timeout(1500) });
    return res.ok ? ((await res.json()) as LocalEndpoints) : undefined;
  } catch {
    return undefined;
  }
}

/** The in-process stand-ins accept only their fixed credentials; real endpoints use the SDK's chain. */
export const isLoopbackEndpoint = (endpoint: string | undefined): boolean =>
  /^http:\/\/(127\.0\.0\.1|localhost)/.test(endpoint ?? '');

/**
 * The running local server that holds `dataDir` (found through its lock, never through PORT: a server
 * on PORT may hold another store), or undefined when none does. Throws when a live process holds the
 * lock but does not answer: acting on the store beside it would corrupt it.
 */
export async function findServerFor(
  dataDir: string,
): Promise<{ url: string; endpoints: LocalEndpoints; pid: number } | undefined> {
  const holder = lockHolder(dataDir);
  if (!holder) return undefined;
  const endpoints = holder.url ? await findLocalServer(holder.url) : undefined;
  if (!endpoints || !holder.url) throw new DataDirLockedError(dataDir, holder);
  return { url: holder.url, endpoints, pid: holder.pid };
}
