import { openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/** Who holds a DATA_DIR: the local server (or a seed/reconcile that started one) in process `pid`. */
export interface LockHolder {
  pid: number;
  /** The API's URL, once it listens. */
  url?: string;
  startedAt: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by process ${holder.pid}${holder.url ? ` (the local server at ${holder.url})` : ''}; ` +
        `stop it or use another DATA_DIR (if no such process runs, remove ${lockPath(dataDir)})`,
    );
    this.name = 'DataDirLockedError';
  }
}

export const lockPath = (dataDir: string) => join(dataDir, 'server.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the DATA_DIR's lock, or undefined (none, or its process is gone). */
export function lockHolder(dataDir: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockHolder;
    return Number.isInteger(holder.pid) && alive(holder.pid) ? holder : undefined;
  } catch {
    return undefined;
  }
}

export interface DataDirLock {
  /** Records the URL the holder answers at, for seed and reconcile to find it. */
  setUrl(url: string): void;
  release(): void;
}

/**
 * One store, one server (docs/store.md, "One store, one server"): the lock file is created exclusively;
 * one left by a process that is gone (killed) is taken over. Throws DataDirLockedError naming the
 * holder otherwise.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = lockPath(dataDir);
  const me: LockHolder = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, JSON.stringify(me));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = lockHolder(dataDir);
      if (holder) throw new DataDirLockedError(dataDir, holder);
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  return {
    setUrl: (url) => writeFileSync(path, JSON.stringify({ ...me, url })),
    release: () => {
      if (lockHolder(dataDir)?.pid === process.pid) rmSync(path, { force: true });
    },
  };
}
