import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../shared/config';
import { createServices } from '../store/services';
import type { PieceMarker } from './jobStore';
import { scanPiece } from './pieceScan';
import { createJobStore } from './services';
import type { PieceTask } from './localRunner';

/**
 * A job worker thread: scans the pieces it is handed with its own storage clients and hour cache (the
 * local stand-ins are reached over loopback, as any client would), stores each piece's result and
 * answers its marker. One piece at a time; the pool terminates it to cancel.
 */
const { config: c, localCredentials } = workerData as { config: Config; localCredentials: boolean };
const services = createServices({ ...c, EMBEDDING_CACHE_MB: c.JOB_WORKER_CACHE_MB }, { localCredentials });
const jobs = createJobStore(c, services.clients);

parentPort!.on('message', (task: PieceTask) => {
  (async () => {
    const r = await scanPiece(services.history, task.spec, task.piece);
    await jobs.putPiece(task.spec.jobId, task.expiresAt, r);
    const marker: PieceMarker = {
      index: r.index,
      matches: r.events.length,
      examined: r.examined,
      covered: r.covered,
      more: r.more,
    };
    parentPort!.postMessage({ ok: true, out: marker });
  })().catch((err: unknown) => {
    const e = err as Error;
    parentPort!.postMessage({ ok: false, name: e?.name ?? 'Error', error: e?.message ?? String(err) });
  });
});
