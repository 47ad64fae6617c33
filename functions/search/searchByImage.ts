import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parseSearchRequest } from '../core/contract';
import { ContractError } from '../core/errors';
import { toContractEvent, type EventDoc } from '../core/event';
import { withSearchSlot } from '../core/lease';
import { type QueryFaceJson, toQueryFaceJson } from '../core/queryFace';
import { capResponse } from '../core/responseCap';
import { type ScanMatch, type ScanOutcome, scanHistory } from '../core/scan';
import { compareScore, cosineForScore } from '../core/score';
import { endOfCall, remainingRange } from '../core/timeWindow';
import type { FaceEngine } from '../core/face';
import { round } from '../core/round';
import { queryImagePolicy } from '../shared/config';
import type { Services } from '../store/services';
import { embedQuery, type QueryEmbedding, readQueryInput } from './queryEmbedding';

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
  /** Absent for event_id; the first photo's for face_images_base64. */
  query_face?: QueryFaceJson;
  /** face_images_base64: each photo's face, in order. */
  query_faces?: QueryFaceJson[];
}

/** Kept between the budget and the platform's own end: the answer still has to be built and sent. */
const PLATFORM_MARGIN_MS = 2_000;

/**
 * POST /sophon/v2/face/searchbyimage: validate, take a search slot, embed the query face (or read an
 * event's stored one, or build a template of several photos: queryEmbedding.ts), scan the
 * window in the requested direction and report where the next call continues. The query photo is read,
 * opened and its detector's reduced copy decoded beside the slot's acquisition (FaceEngine.prepareQuery:
 * libuv threads), and so is the window's first hour directory listing, unless this process's last
 * attempt was refused (SearchSlots.likelyFree); no model runs and no hour is read until the slot is held
 * (a 429 costs at most that decode and that listing, and refusals in a row neither); once held, the
 * history's first reads run beside the face engine. The call stops at a millisecond
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

  const input = readQueryInput(q.query, deps.services, queryImagePolicy(c), c.MAX_IMAGE_BYTES);
  input.catch(() => undefined); // awaited once the slot is held; dropped for a 429
  // The photo's opening and reduced decode (no model) run beside the slot's acquisition, a round trip,
  // unless this process was just refused a slot (under a full house a refusal stays cheap).
  const early = deps.services.slots.likelyFree?.() ?? true;
  input.then(
    (i) => {
      if (early && i.kind === 'photos') deps.engine().prepareQuery?.(i.photos[0]);
    },
    () => undefined,
  );

  // The window's first directory listing (one read) runs beside the slot's acquisition too: on the
  // search's one thread it would otherwise run beside the engine's models. Hours are read once it is held.
  const history = range
    ? deps.services.history.records({ range, reverse: q.reverse, deviceIds: q.deviceIds, signal })
    : undefined;
  if (early) history?.prefetch?.({ listingOnly: true });
  try {
    return await withSearchSlot(deps.services.slots, async () => {
      history?.prefetch?.();
      try {
        let faceMs = 0;
        const face = await untilAborted(
          (async (): Promise<QueryEmbedding> => {
            const ready = await input;
            const t = performance.now();
            const f = await embedQuery(ready, deps.engine(), q.fiqaLevel);
            faceMs = performance.now() - t;
            return f;
          })(),
          signal,
        );
        const tScan = performance.now();
        const outcome: ScanOutcome = history
          ? await scanHistory(history, {
              query: face.embedding,
              minCosine: cosineForScore(q.threshold, face.cosineShift),
              deviceIds: q.deviceIds && new Set(q.deviceIds),
              outOfTime: () => performance.now() - t0 > budgetMs,
              signal,
            })
          : { matches: [], examined: 0, haveMore: false };
        const scanMs = performance.now() - tScan;

        const events = resultEvents(outcome.matches, face.cosineShift);
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
          // An event's face has no photo to describe; a template's first photo stands for it.
          ...(face.faces.length > 0 && { query_face: toQueryFaceJson(face.faces[0]) }),
          ...(face.faces.length > 1 && { query_faces: face.faces.map(toQueryFaceJson) }),
        };
      } finally {
        history?.close?.(); // the blocks' memory is the cache's again
      }
    });
  } finally {
    history?.close?.(); // a refused search's reader too
    clearTimeout(platformEnd);
    deps.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The scan's matches as the contract's events (with their timestamps, in scan order): one mapping for the
 * contract's calls and the search jobs' pieces, so both answer the same events.
 */
export function resultEvents(
  matches: ScanMatch[],
  cosineShift: number,
): Array<{ timestamp: number; event: Record<string, unknown> }> {
  return matches.map((m) => ({
    timestamp: m.record.timestamp,
    event: toContractEvent(
      JSON.parse(m.record.doc) as EventDoc,
      m.record.eventId,
      round(compareScore(m.cosine, cosineShift), 4),
    ),
  }));
}

/** The promise's outcome, or the signal's abort, whichever comes first (the engine cannot be stopped). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  // Every abort here carries an AbortError (a DOMException, an Error): the platform's end or a disconnect.
  const reason = () => signal.reason as Error;
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
