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
