import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parseSearchRequest } from '../core/contract';
import { ContractError } from '../core/errors';
import { toContractEvent, type EventDoc } from '../core/event';
import { withSearchSlot } from '../core/lease';
import { type QueryFaceJson, toQueryFaceJson } from '../core/queryFace';
import { capResponse } from '../core/responseCap';
import { type ScanOutcome, scanHistory } from '../core/scan';
import { compareScore, cosineForScore } from '../core/score';
import { endOfCall, remainingRange } from '../core/timeWindow';
import type { FaceEngine, QueryFace } from '../core/face';
import { assertPassesGate } from '../core/qualityGate';
import { round } from '../core/round';
import { readImageSource } from '../store/imageSource';
import type { Services } from '../store/services';

export interface SearchDeps {
  services: Services;
  engine: () => FaceEngine;
  now?: () => number;
  /** Aborted when the caller is gone (the local server: the client disconnected): the search stops. */
  signal?: AbortSignal;
  /** Time left before the platform ends the call (a Lambda's remaining time); bounds the budget. */
  remainingMs?: () => number;
}

/** The contract's response, plus extras the contract allows. */
export interface SearchResponse {
  events: Record<string, unknown>[];
  have_more: boolean;
  total_time: number;
  endtimestamp: number;
  records_examined: number;
  /** Records read from storage for this call (records served from the cache are not counted). */
  records_read: number;
  /**
   * Where total_time went: the face engine, and the history scan after the face was ready (the history's
   * first reads run beside the engine, so the two need not add up to total_time).
   */
  timings: { face_ms: number; scan_ms: number };
  query_face: QueryFaceJson;
}

/** Kept between the budget and the platform's own end: the answer still has to be built and sent. */
const PLATFORM_MARGIN_MS = 2_000;

/**
 * POST /sophon/v2/face/searchbyimage: validate, take a search slot, embed the query face, scan the
 * window in the requested direction and report where the next call continues. The query photo is read
 * beside the slot's acquisition, but no model runs until the slot is held (a 429 costs almost nothing);
 * once held, the history's first reads run beside the face engine. The call stops at a millisecond
 * boundary when its time budget is spent or its response would pass MAX_RESPONSE_BYTES, and stops
 * working at once when its caller is gone.
 *
 * @example const res = await searchByImage({ face_image_base64: b64 }, { services, engine: getFaceEngine });
 */
export async function searchByImage(body: unknown, deps: SearchDeps): Promise<SearchResponse> {
  const t0 = performance.now();
  const c = deps.services.config;
  if (c.GRAB_MODE) throw new ContractError('NOT_SUPPORT_IN_GRAB_MODE');
  const q = parseSearchRequest(body, (deps.now ?? Date.now)(), c.MAX_IMAGE_BYTES);
  const range = remainingRange(q.startMs, q.endMs, q.resumeMs, q.reverse);
  const budgetMs = Math.min(c.SEARCH_BUDGET_MS, (deps.remainingMs?.() ?? Infinity) - PLATFORM_MARGIN_MS);

  // The platform's end aborts the search as a client disconnect does: nothing outlives the call.
  const abort = new AbortController();
  const onAbort = () => abort.abort(deps.signal?.reason);
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const platformEnd = deps.remainingMs
    ? setTimeout(
        () => abort.abort(new DOMException('out of time', 'AbortError')),
        deps.remainingMs() - PLATFORM_MARGIN_MS / 2,
      )
    : undefined;
  const signal = abort.signal;
  setMaxListeners(0, signal); // every storage request in flight listens to it
  if (deps.signal?.aborted) onAbort();

  const imageBytes = readImageSource(
    q.image,
    { imageBucket: c.IMAGE_BUCKET, allowedBuckets: c.ALLOWED_BUCKETS, imageRoot: c.IMAGE_ROOT },
    deps.services.images,
    c.MAX_IMAGE_BYTES,
  );
  imageBytes.catch(() => undefined); // awaited once the slot is held; dropped for a 429

  try {
    return await withSearchSlot(deps.services.slots, async () => {
      const history = range
        ? deps.services.events.records({ range, reverse: q.reverse, deviceIds: q.deviceIds, signal })
        : undefined;
      history?.prefetch?.();
      let faceMs = 0;
      const face = await untilAborted(
        (async (): Promise<QueryFace> => {
          const bytes = await imageBytes;
          const t = performance.now();
          const f = await deps.engine().analyzeQuery(bytes, q.fiqaLevel);
          assertPassesGate(f.quality, q.fiqaLevel);
          faceMs = performance.now() - t;
          return f;
        })(),
        signal,
      );
      const tScan = performance.now();
      const outcome: ScanOutcome = history
        ? await scanHistory(history, {
            query: face.embedding,
            minCosine: cosineForScore(q.threshold),
            deviceIds: q.deviceIds && new Set(q.deviceIds),
            outOfTime: () => performance.now() - t0 > budgetMs,
            signal,
          })
        : { matches: [], examined: 0, haveMore: false };
      const scanMs = performance.now() - tScan;

      const events = outcome.matches.map((m) => ({
        timestamp: m.record.timestamp,
        event: toContractEvent(
          JSON.parse(m.record.doc) as EventDoc,
          m.record.eventId,
          round(compareScore(m.cosine), 4),
        ) as Record<string, unknown>,
      }));
      const capped = capResponse(events, c.MAX_RESPONSE_BYTES);
      const end = endOfCall(
        q,
        outcome.haveMore || capped.cut !== undefined,
        capped.cut ?? outcome.through,
        range,
      );
      return {
        events: capped.events,
        have_more: end.haveMore,
        total_time: (performance.now() - t0) / 1000,
        endtimestamp: end.endtimestamp,
        records_examined: outcome.examined,
        records_read: history?.recordsRead ?? 0,
        timings: { face_ms: Math.round(faceMs), scan_ms: Math.round(scanMs) },
        query_face: toQueryFaceJson(face),
      };
    });
  } finally {
    clearTimeout(platformEnd);
    deps.signal?.removeEventListener('abort', onAbort);
  }
}

/** The promise's outcome, or the signal's abort, whichever comes first (the engine cannot be stopped). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
