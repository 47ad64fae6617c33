import { performance } from 'node:perf_hooks';
import { parseSearchRequest } from '../core/contract';
import { ContractError } from '../core/errors';
import { toContractEvent, type EventDoc } from '../core/event';
import { withSearchSlot } from '../core/lease';
import { type QueryFaceJson, toQueryFaceJson } from '../core/queryFace';
import { type ScanOutcome, prefetchHistory, scanHistory } from '../core/scan';
import { compareScore, cosineForScore } from '../core/score';
import { remainingRange } from '../core/timeWindow';
import type { FaceEngine } from '../face/types';
import { readImageSource } from '../store/imageSource';
import type { Services } from '../store/services';

export interface SearchDeps {
  services: Services;
  engine: () => FaceEngine;
  now?: () => number;
}

/** The contract's response, plus extras the contract allows. */
export interface SearchResponse {
  events: Record<string, unknown>[];
  have_more: boolean;
  total_time: number;
  endtimestamp: number;
  records_examined: number;
  /**
   * Where total_time went: the face engine, and the history scan after the face was ready (the slot and
   * the first history reads run beside the engine, so the two need not add up to total_time).
   */
  timings: { face_ms: number; scan_ms: number };
  query_face: QueryFaceJson;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * POST /sophon/v2/face/searchbyimage: validate, take a search slot, embed the query face, scan the
 * window in the requested direction and report where the scan stopped. The face engine starts at once,
 * beside the slot's acquisition; once the slot is held, the history's first reads (hour versions, hours
 * not cached) start beside the engine too, since none of them needs the query face.
 *
 * @example const res = await searchByImage({ face_image_base64: b64 }, { services, engine: getFaceEngine });
 */
export async function searchByImage(body: unknown, deps: SearchDeps): Promise<SearchResponse> {
  const t0 = performance.now();
  const c = deps.services.config;
  if (c.GRAB_MODE) throw new ContractError('NOT_SUPPORT_IN_GRAB_MODE');
  const q = parseSearchRequest(body, (deps.now ?? Date.now)(), c.MAX_IMAGE_BYTES);
  const range = remainingRange(q.startMs, q.endMs, q.resumeMs, q.reverse);

  let faceMs = 0;
  const queryFace = (async () => {
    const bytes = await readImageSource(
      q.image,
      { imageBucket: c.IMAGE_BUCKET, allowedBuckets: c.ALLOWED_BUCKETS, imageRoot: c.IMAGE_ROOT },
      deps.services.images,
      c.MAX_IMAGE_BYTES,
    );
    const t = performance.now();
    const face = await deps.engine().analyzeQuery(bytes, q.fiqaLevel);
    faceMs = performance.now() - t;
    return face;
  })();
  // Awaited once the slot is held; when no slot is free, its outcome is dropped for the 429.
  queryFace.catch(() => undefined);

  return withSearchSlot(deps.services.slots, async () => {
    const history = range
      ? deps.services.events.records({ range, reverse: q.reverse, deviceIds: q.deviceIds })
      : undefined;
    if (history) prefetchHistory(history);
    const face = await queryFace;
    const tScan = performance.now();
    const outcome: ScanOutcome = history
      ? await scanHistory(history, {
          query: face.embedding,
          minCosine: cosineForScore(q.threshold),
          deviceIds: q.deviceIds && new Set(q.deviceIds),
        })
      : { matches: [], examined: 0, haveMore: false };

    const scanMs = performance.now() - tScan;
    return {
      events: outcome.matches.map((m) =>
        toContractEvent(
          JSON.parse(m.record.doc) as EventDoc,
          m.record.eventId,
          round(compareScore(m.cosine), 4),
        ),
      ),
      have_more: outcome.haveMore,
      total_time: (performance.now() - t0) / 1000,
      // The far edge when nothing was examined: the window is exhausted, nothing to resume.
      endtimestamp: outcome.lastTimestamp ?? (q.reverse ? Math.ceil(q.startMs) : Math.floor(q.endMs)),
      records_examined: outcome.examined,
      timings: { face_ms: Math.round(faceMs), scan_ms: Math.round(scanMs) },
      query_face: toQueryFaceJson(face),
    };
  });
}
