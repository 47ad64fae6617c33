// The console's wiring: a search is a session (photo + settings fixed when it starts) that fetches pages
// by following have_more / endtimestamp (passed back as last_end_timestamp: the inclusive edge where the
// next page starts). A round keeps fetching while pages come back empty, so a long
// stretch without matches shows progress instead of asking for clicks; Stop ends the round, Load more
// resumes where it stopped. A photo is checked on upload (POST /sophon/v2/face/detect) where the service
// has that endpoint; where it has not, the face box and verdict come with the first search page.

import { ApiError, apiKey, apiKeyRequired, detectFace, isKeyRefusal, searchByImage } from './api.js';
import { wireApiKeyPanel } from './apiKeyPanel.js';
import { ensureSignedIn } from './signIn.js';
import { formatDuration, formatTime } from './format.js';
import { explain } from './messages.js';
import { downloadCsv, printReport } from './export.js';
import { showStoredImage } from './images.js';
import {
  clearPhoto,
  detectVerdict,
  showDetected,
  showEventFace,
  showListedVerdict,
  showPending,
  showPhoto,
  showPhotoList,
  showPhotoProblem,
  showQueryFace,
  wirePhotoInput,
} from './photo.js';
import {
  appendResults,
  clearResults,
  deviceLabel,
  identityLabel,
  openResult,
  shownEvents,
  wireSceneDialog,
} from './results.js';
import { addToTimeline, resetTimeline, wireTimeline } from './timeline.js';
import { readSearchParams, wireThreshold, wireWindowPresets } from './searchForm.js';
import { jobSummary, runSearchJob } from './jobs.js';

// The cloud console: a person signs in first (Cognito's hosted page); elsewhere this returns at once.
await ensureSignedIn();

const $ = (id) => /** @type {any} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ ($('search-form'));

/**
 * @typedef {{ request: Record<string, any>, lastEnd: number | null, haveMore: boolean, found: number,
 *   scanned: number | null, totalTime: number, stopped: boolean }} Session
 */
const state = {
  /** One photo, or 2 to 5 of one person. @type {{ dataUrl: string, name: string }[] | null} */ photos: null,
  /** A stored event whose face is the query ("Search with this face"). @type {Record<string, any> | null} */
  faceEvent: null,
  /** @type {Session | null} */ session: null,
  /** @type {AbortController | null} */ running: null,
  /** @type {number} */ runningSince: 0,
  /** @type {ReturnType<typeof setInterval> | undefined} */ ticker: undefined,
  detect: {
    /** @type {AbortController | null} */ running: null,
    /** The last answer, for which photos and level. @type {{ photos: object, level: string, res: any } | null} */
    result: null,
    /** The service has no detect endpoint (an older version): stop asking. */
    unavailable: false,
  },
};

/** Answers meaning "no such endpoint here", from the local server (404, 405) or API Gateway (403). */
const NO_DETECT = ['NOT_FOUND', 'METHOD_NOT_ALLOWED', 'MISSING_AUTHENTICATION_TOKEN', 'RESOURCE_NOT_FOUND'];

const keyPanel = wireApiKeyPanel({
  onKey() {
    if (['NO_API_KEY', 'INVALID_API_KEY', 'FORBIDDEN'].includes($('error').dataset.code)) hideError();
    checkPhoto();
  },
});

wireWindowPresets(form);
wireThreshold(form);
wireSceneDialog({ onSearchFace: searchWithFace });
wireTimeline({ onOpen: openResult });
wirePhotoInput({
  onPhotos(photos, problem, name) {
    if (!photos) {
      // The previous photo is no longer what the page searches: nothing is, until a good one comes.
      dropPhotos();
      showError(new ApiError(problem ?? 'UNREADABLE_FILE', name ? `${name}: cannot be opened` : ''));
      return;
    }
    hideError();
    state.photos = photos;
    state.faceEvent = null;
    $('search-button').disabled = false;
    if (photos.length === 1) showPhoto(photos[0].dataUrl, photos[0].name, pendingText());
    else showPhotoList(photos, pendingText());
    checkPhoto();
  },
});
$('csv-button').addEventListener('click', () => downloadCsv(shownEvents()));
$('report-button').addEventListener('click', () =>
  printReport(shownEvents(), reportSummary(), (img, id) => showStoredImage(img, id)),
);
$('fiqa').addEventListener('change', () => checkPhoto());

form.addEventListener('submit', (e) => {
  e.preventDefault();
  startSearch();
});
$('more-button').addEventListener('click', () => runRound(state.session?.lastEnd === null));
$('stop-button').addEventListener('click', () => state.running?.abort());

/** What the verdict says until the service has looked at the face. */
function pendingText() {
  if (state.detect.unavailable) return 'The face will be checked when you search.';
  if (apiKeyRequired && !apiKey()) return 'The face will be checked once the API key is entered.';
  return 'Checking the face…';
}

/** No photo to search: a file that could not be opened replaced it. Search is off until a good one. */
function dropPhotos() {
  state.detect.running?.abort();
  state.detect.result = null;
  state.photos = null;
  state.faceEvent = null;
  clearPhoto();
  $('search-button').disabled = true;
}

/** "Search with this face": the query is a stored event's face (event_id), searched at once. */
function searchWithFace(event) {
  state.detect.running?.abort();
  state.detect.result = null;
  state.photos = null;
  state.faceEvent = event;
  $('search-button').disabled = false;
  showEventFace(
    event,
    `${identityLabel(event)} at ${formatTime(eventMillisOf(event))}, ${deviceLabel(event.media_device_info)}`,
  );
  startSearch();
}

const eventMillisOf = (event) => Math.round(Number(event.timestamp) * 1000);

/** Several photos: each checked on its own, each with its own verdict. */
async function checkPhotoList(photos, level) {
  const controller = new AbortController();
  state.detect.running = controller;
  await Promise.all(
    photos.map(async (photo, i) => {
      try {
        const res = await detectFace(
          { face_image_base64: photo.dataUrl, fiqa_level: level },
          controller.signal,
        );
        if (state.photos !== photos) return;
        showListedVerdict(i, detectVerdict({ ...res, fiqa_level: res.fiqa_level ?? level }));
      } catch (err) {
        if (state.photos !== photos) return;
        const code = err instanceof ApiError ? err.code : 'INTERNAL_ERROR';
        if (code === 'NO_FACE_ERROR') showListedVerdict(i, { kind: 'bad', text: 'no face found.' });
        else if (code === 'IMAGE_NOT_OPENED')
          showListedVerdict(i, { kind: 'bad', text: 'this file could not be opened as a photo.' });
        else if (code === 'INVALID_ARGUMENTS')
          showListedVerdict(i, { kind: 'bad', text: 'the photo is too large or damaged.' });
        else {
          if (NO_DETECT.includes(code)) state.detect.unavailable = true;
          showListedVerdict(i, { kind: 'pending', text: 'the face will be checked when you search.' });
        }
      }
    }),
  );
  if (state.detect.running === controller) state.detect.running = null;
}

/** Asks the service for the photo's face box and quality verdict at the chosen level, before any search. */
async function checkPhoto() {
  state.detect.running?.abort();
  state.detect.result = null;
  const photos = state.photos;
  if (!photos) return;
  if (photos.length > 1) {
    if (state.detect.unavailable || (apiKeyRequired && !apiKey())) return;
    return checkPhotoList(photos, String(new FormData(form).get('fiqa') ?? 'low'));
  }
  const photo = photos[0];
  showPending(pendingText());
  if (state.detect.unavailable || (apiKeyRequired && !apiKey())) return;
  const level = String(new FormData(form).get('fiqa') ?? 'low');
  const controller = new AbortController();
  state.detect.running = controller;
  const current = () => state.detect.running === controller && state.photos === photos;
  try {
    const res = await detectFace({ face_image_base64: photo.dataUrl, fiqa_level: level }, controller.signal);
    if (!current()) return;
    state.detect.result = { photos, level, res };
    showDetected({ ...res, fiqa_level: res.fiqa_level ?? level });
  } catch (err) {
    if (!current()) return;
    const code = err instanceof ApiError ? err.code : 'INTERNAL_ERROR';
    if (code === 'NO_FACE_ERROR') showPhotoProblem('No face found in this photo.');
    else if (code === 'IMAGE_NOT_OPENED') {
      // A file that is not a photo (a renamed document, a cut-off download): nothing to search.
      dropPhotos();
      showError(err);
    } else if (code === 'INVALID_ARGUMENTS') showPhotoProblem('The photo is too large or damaged.');
    else if (code === 'NOT_SUPPORT_IN_GRAB_MODE') showPhotoProblem(explain(err).title);
    else if (isKeyRefusal(err)) {
      keyPanel.ask('This key was not accepted. Enter it again.');
      showPending(pendingText());
    } else {
      // An older service, or a passing failure: the search will say what it has to say.
      if (NO_DETECT.includes(code)) state.detect.unavailable = true;
      showPending('The face will be checked when you search.');
    }
  } finally {
    if (state.detect.running === controller) state.detect.running = null;
  }
}

function startSearch() {
  hideError();
  if (!state.photos && !state.faceEvent) return showError(new ApiError('NO_PHOTO'));
  if (apiKeyRequired && !apiKey()) {
    keyPanel.ask();
    return showError(new ApiError('NO_API_KEY'));
  }
  const read = readSearchParams(form);
  if (!read.ok) return showError(new ApiError(read.code));
  state.running?.abort();
  clearResults();
  resetTimeline(read.params.starttime, read.params.endtime);
  $('no-match').hidden = true;
  $('result-tools').hidden = true;
  // The Search button is at the bottom of a long form (and on a phone the results are below it, some
  // 1,100 px down): move focus to the results, which brings them to the top of the screen.
  const results = $('results');
  // On one column (a phone) the results move above the form once there is a search (styles.css).
  document.querySelector('main.layout')?.classList.add('searched');
  const top = results.getBoundingClientRect().top;
  if (top < 0 || top > 160) results.scrollIntoView({ block: 'start' });
  $('results-heading').focus({ preventScroll: true });
  // Indeterminate until the first page says how far the search got.
  resetProgressBar();
  if (read.job) return runJob({ ...queryFields(), ...read.params });
  state.session = {
    request: { ...queryFields(), ...read.params },
    lastEnd: null,
    haveMore: false,
    found: 0,
    scanned: null,
    totalTime: 0,
    stopped: false,
  };
  return runRound(true);
}

/** The <progress> back to a share of the window (the contract's call), indeterminate until a page. */
function resetProgressBar() {
  const bar = $('progress');
  bar.removeAttribute('value');
  bar.max = 1;
  bar.setAttribute('aria-label', 'Share of the time window searched');
  for (const a of ['aria-valuemin', 'aria-valuemax', 'aria-valuenow', 'aria-valuetext'])
    bar.removeAttribute(a);
}

/** A long window as a search job (jobs.js): progress in records, pages appended as they arrive. */
async function runJob(request) {
  state.session = null;
  const controller = new AbortController();
  state.running = controller;
  setRunning(true);
  const bar = $('progress');
  bar.setAttribute('aria-label', 'Records searched');
  // A new search replaces state.running (and aborts this job): from then on this job touches nothing.
  const current = () => state.running === controller;
  try {
    const final = await runSearchJob(request, {
      signal: controller.signal,
      onEvents(events) {
        if (!current()) return;
        appendResults(events);
        addToTimeline(events);
        rememberDevices(events);
        $('result-tools').hidden = false;
      },
      onProgress(p) {
        if (current()) showJobProgress(p);
      },
    });
    if (current()) finishJob(final);
  } catch (err) {
    if (!current()) return;
    const apiErr = err instanceof ApiError ? err : new ApiError('INTERNAL_ERROR');
    showError(apiErr);
    if (isKeyRefusal(apiErr)) keyPanel.ask('This key was not accepted. Enter it again.');
    if (request.face_image_base64 && apiErr.code === 'NO_FACE_ERROR')
      showPhotoProblem('No face found in this photo.');
    if (apiErr.progress) finishJob(apiErr.progress);
    else $('progress-area').hidden = true;
  } finally {
    if (current()) {
      state.running = null;
      $('stop-button').hidden = true;
      $('results').setAttribute('aria-busy', 'false');
    }
  }

  function showJobProgress(p) {
    bar.max = Math.max(1, p.total);
    bar.value = Math.min(p.examined, bar.max);
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', String(p.total));
    bar.setAttribute('aria-valuenow', String(p.examined));
    bar.setAttribute(
      'aria-valuetext',
      `${p.examined.toLocaleString()} of ${p.total.toLocaleString()} records searched`,
    );
    const found = p.found ? ` · ${plural(p.found, 'match', 'matches')} so far` : '';
    $('status').textContent =
      p.state === 'running'
        ? `Searching… ${plural(p.examined, 'record', 'records')} of ${p.total.toLocaleString()}${found}`
        : jobSummary(p);
  }

  function finishJob(p) {
    clearInterval(state.ticker);
    $('progress-area').hidden = false;
    $('job-state').textContent = p.state === 'cancelled' ? 'stopped' : p.state;
    $('job-state').hidden = false;
    $('status').textContent = jobSummary(p);
    $('result-tools').hidden = p.found === 0;
    if (p.found === 0 && p.state === 'done') {
      $('no-match').hidden = false;
      $('no-match').textContent = noMatchAdvice(request);
    }
  }
}

/** The query's contract fields: one photo, several photos of one person, or a stored event's face. */
function queryFields() {
  if (state.faceEvent) return { event_id: state.faceEvent.event_id };
  const photos = state.photos ?? [];
  if (photos.length > 1) return { face_images_base64: photos.map((p) => p.dataUrl) };
  return { face_image_base64: photos[0].dataUrl };
}

/** Fetches pages until one brings matches, the window is exhausted, or the user stops. */
async function runRound(first) {
  const session = state.session;
  if (!session) return;
  hideError();
  const controller = new AbortController();
  state.running = controller;
  session.stopped = false;
  setRunning(true);
  const foundBefore = session.found;
  try {
    let keepGoing = true;
    while (keepGoing) {
      const body = { ...session.request, last_end_timestamp: session.lastEnd };
      const res = await searchByImage(body, controller.signal);
      if (state.session !== session) return;
      if (first) showSearchedFaces(res, session.request);
      first = false;
      const events = Array.isArray(res.events) ? res.events : [];
      appendResults(events);
      addToTimeline(events);
      rememberDevices(events);
      const previousEnd = session.lastEnd;
      session.found += events.length;
      session.lastEnd = Number(res.endtimestamp);
      session.haveMore = res.have_more === true && Number.isFinite(session.lastEnd);
      session.totalTime += Number(res.total_time) || 0;
      const scanned = scannedOf(res);
      if (scanned !== null) session.scanned = (session.scanned ?? 0) + scanned;
      showProgress(session);
      // A resume point that does not move would loop forever; stop and let the user decide.
      const stuck = previousEnd !== null && session.lastEnd === previousEnd;
      keepGoing = session.haveMore && session.found === foundBefore && !stuck;
    }
  } catch (err) {
    if (state.session !== session) return;
    const apiErr = err instanceof ApiError ? err : new ApiError('INTERNAL_ERROR');
    if (apiErr.code === 'ABORTED') {
      session.stopped = true;
    } else {
      showError(apiErr);
      if (isKeyRefusal(apiErr)) keyPanel.ask('This key was not accepted. Enter it again.');
      if (first && session.request.face_images_base64) markFailedPhoto(apiErr);
      const single = Boolean(session.request.face_image_base64);
      if (first && single && apiErr.code === 'NO_FACE_ERROR')
        showPhotoProblem('No face found in this photo.');
      if (first && single && apiErr.code === 'IMAGE_NOT_OPENED') dropPhotos();
      if (first && single && apiErr.code === 'LOW_QUALITY_ERROR') {
        const level = session.request.fiqa_level;
        const checked = state.detect.result;
        // The upload check already outlined the face and said why; keep that rather than lose the box.
        if (
          checked &&
          checked.photos === state.photos &&
          checked.level === level &&
          !checked.res.fiqa_passed
        ) {
          showDetected(checked.res);
        } else {
          const { reason } = explain(apiErr);
          showPhotoProblem(`Fails the "${level}" quality check${reason ? `: ${reason}` : ''}.`);
        }
      }
      // Nothing was searched yet: there is nothing to load more of.
      if (first) state.session = null;
    }
  } finally {
    if (state.running === controller) {
      state.running = null;
      setRunning(false);
      showSummary(state.session);
    }
  }
}

/** What the first page says about the searched face(s): boxes and verdicts over the photos. */
function showSearchedFaces(res, request) {
  if (request.event_id) return;
  if (!request.face_images_base64) {
    showQueryFace(queryFaceOf(res), request.fiqa_level);
    return;
  }
  const faces = Array.isArray(res.query_faces) ? res.query_faces : [];
  faces.forEach((face, i) =>
    showListedVerdict(
      i,
      detectVerdict({ fiqa_level: request.fiqa_level, fiqa_passed: true, query_face: face }),
    ),
  );
}

/** The service names a refused photo of a list by index (`face_images_base64[2]: ...`): mark that one. */
function markFailedPhoto(err) {
  const m = /^face_images_base64\[(\d+)\]:\s*(.*)$/.exec(err.message ?? '');
  if (!m) return;
  showListedVerdict(Number(m[1]), { kind: 'bad', text: `${m[2]}.`.replace(/\.\.$/, '.') });
}

/** The query face's box and quality, if this API version reports them (CONTRACT.md allows extras). */
function queryFaceOf(res) {
  const face = res.query_face ?? res.face ?? null;
  if (face && typeof face === 'object') return face;
  if (Array.isArray(res.face_box)) return { box: res.face_box, quality: res.quality };
  return null;
}

function scannedOf(res) {
  const n = res.records_examined ?? res.records_scanned;
  return Number.isFinite(n) ? Number(n) : null;
}

function setRunning(running) {
  $('stop-button').hidden = !running;
  $('more-button').hidden = true;
  $('progress-area').hidden = !running && !state.session;
  $('results').setAttribute('aria-busy', String(running));
  clearInterval(state.ticker);
  $('job-state').hidden = true;
  if (running && !state.session) return;
  if (running) {
    state.runningSince = Date.now();
    const tick = () => {
      const s = state.session;
      const reached = s?.lastEnd != null ? ` · ${reachLabel(s)}` : '';
      const found = s?.found ? ` · ${plural(s.found, 'match', 'matches')} so far` : '';
      $('status').textContent =
        `Searching… ${formatDuration(Date.now() - state.runningSince)}${found}${reached}`;
    };
    tick();
    state.ticker = setInterval(tick, 1000);
  }
}

function showProgress(session) {
  const { starttime, endtime, reverse } = session.request;
  const span = Math.max(1, endtime - starttime);
  let covered = 1;
  if (session.haveMore) {
    covered = reverse ? (endtime - session.lastEnd) / span : (session.lastEnd - starttime) / span;
  }
  $('progress').value = Math.min(1, Math.max(0, covered));
}

function showSummary(session) {
  const more = $('more-button');
  if (!session) {
    $('progress-area').hidden = true;
    more.hidden = true;
    if ($('error').hidden) $('status').textContent = 'Choose a photo and press Search.';
    else $('status').textContent = '';
    return;
  }
  $('progress-area').hidden = false;
  const parts = [plural(session.found, 'match', 'matches')];
  if (session.lastEnd === null) parts.push('nothing searched yet');
  else if (session.haveMore) parts.push(reachLabel(session));
  else parts.push(`the whole window was searched (${windowLabel(session)})`);
  if (session.scanned !== null) parts.push(`${plural(session.scanned, 'record', 'records')} checked`);
  if (session.totalTime > 0) parts.push(`${session.totalTime.toFixed(2)} s`);
  if (session.stopped) parts.unshift('Stopped');
  $('status').textContent = `${parts.join(' · ')}.`;
  $('result-tools').hidden = session.found === 0;
  const none = $('no-match');
  none.hidden = !(session.found === 0 && !session.haveMore && session.lastEnd !== null);
  if (!none.hidden) none.textContent = noMatchAdvice(session.request);
  more.hidden = !(session.haveMore || (session.stopped && session.lastEnd === null));
}

/** What to try when a whole window had no match, in the form's words and with the values used. */
function noMatchAdvice(request) {
  const tips = [];
  if (request.threshold > 60) tips.push(`lower the minimum similarity (it was ${request.threshold})`);
  tips.push('widen the time window');
  if (request.media_device_ids) tips.push('search all devices');
  if (request.fiqa_level !== 'no' && !request.event_id) {
    tips.push(`check the photo quality level (it was "${request.fiqa_level}")`);
  }
  return `No match. Try to ${tips.join(', ').replace(/, ([^,]*)$/, ' or $1')}.`;
}

/** The report's first line: what was searched, over which window. */
function reportSummary() {
  const s = state.session;
  if (!s) return '';
  const what = s.request.event_id
    ? `the face of event ${s.request.event_id}`
    : s.request.face_images_base64
      ? `${s.request.face_images_base64.length} photos of one person`
      : 'one photo';
  return `Search for ${what}, ${windowLabel(s)}, minimum similarity ${s.request.threshold}: ${plural(s.found, 'match', 'matches')}. Printed ${formatTime(Date.now())}.`;
}

function reachLabel(session) {
  const { reverse } = session.request;
  return `${reverse ? 'searched back to' : 'searched forward to'} ${formatTime(session.lastEnd)}`;
}

function windowLabel(session) {
  return `${formatTime(session.request.starttime)} – ${formatTime(session.request.endtime)}`;
}

function plural(n, one, many) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

function showError(err) {
  const { title, advice, reason } = explain(err);
  const box = $('error');
  const strong = document.createElement('strong');
  strong.textContent = title;
  const parts = [strong];
  if (reason) {
    const p = document.createElement('span');
    p.className = 'reason';
    p.textContent = `Reason: ${reason}`;
    parts.push(p);
  }
  const tip = document.createElement('span');
  tip.textContent = advice;
  parts.push(tip);
  box.replaceChildren(...parts);
  box.dataset.code = err.code;
  box.hidden = false;
}

function hideError() {
  const box = $('error');
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.code;
}

/** Offers device IDs already seen in results as suggestions in the Devices field. */
function rememberDevices(events) {
  const list = $('known-devices');
  const known = new Set([...list.options].map((o) => o.value));
  for (const e of events) {
    const id = e.media_device_info?.media_device_id;
    if (!id || known.has(id)) continue;
    known.add(id);
    const option = document.createElement('option');
    option.value = id;
    option.label = e.media_device_info.media_device_name || id;
    list.append(option);
  }
}
