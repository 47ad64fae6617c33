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
import {
  showDetected,
  showPending,
  showPhoto,
  showPhotoProblem,
  showQueryFace,
  wirePhotoInput,
} from './photo.js';
import { appendResults, clearResults, wireSceneDialog } from './results.js';
import { readSearchParams, wireThreshold, wireWindowPresets } from './searchForm.js';

// The cloud console: a person signs in first (Cognito's hosted page); elsewhere this returns at once.
await ensureSignedIn();

const $ = (id) => /** @type {any} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ ($('search-form'));

/**
 * @typedef {{ request: Record<string, any>, lastEnd: number | null, haveMore: boolean, found: number,
 *   scanned: number | null, totalTime: number, stopped: boolean }} Session
 */
const state = {
  /** @type {{ dataUrl: string, name: string } | null} */ photo: null,
  /** @type {Session | null} */ session: null,
  /** @type {AbortController | null} */ running: null,
  /** @type {number} */ runningSince: 0,
  /** @type {ReturnType<typeof setInterval> | undefined} */ ticker: undefined,
  detect: {
    /** @type {AbortController | null} */ running: null,
    /** The last answer, for which photo and level. @type {{ photo: object, level: string, res: any } | null} */
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
wireSceneDialog();
wirePhotoInput({
  onPhoto(photo, problem) {
    if (!photo) {
      showError(new ApiError(problem ?? 'UNREADABLE_FILE'));
      return;
    }
    hideError();
    state.photo = photo;
    showPhoto(photo.dataUrl, photo.name, pendingText());
    checkPhoto();
  },
});
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

/** Asks the service for the photo's face box and quality verdict at the chosen level, before any search. */
async function checkPhoto() {
  state.detect.running?.abort();
  state.detect.result = null;
  const photo = state.photo;
  if (!photo) return;
  showPending(pendingText());
  if (state.detect.unavailable || (apiKeyRequired && !apiKey())) return;
  const level = String(new FormData(form).get('fiqa') ?? 'low');
  const controller = new AbortController();
  state.detect.running = controller;
  const current = () => state.detect.running === controller && state.photo === photo;
  try {
    const res = await detectFace({ face_image_base64: photo.dataUrl, fiqa_level: level }, controller.signal);
    if (!current()) return;
    state.detect.result = { photo, level, res };
    showDetected({ ...res, fiqa_level: res.fiqa_level ?? level });
  } catch (err) {
    if (!current()) return;
    const code = err instanceof ApiError ? err.code : 'INTERNAL_ERROR';
    if (code === 'NO_FACE_ERROR') showPhotoProblem('No face found in this photo.');
    else if (code === 'IMAGE_NOT_OPENED') showPhotoProblem('This file could not be opened as a photo.');
    else if (code === 'INVALID_ARGUMENTS') showPhotoProblem('The photo is too large or damaged.');
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
  if (!state.photo) return showError(new ApiError('NO_PHOTO'));
  if (apiKeyRequired && !apiKey()) {
    keyPanel.ask();
    return showError(new ApiError('NO_API_KEY'));
  }
  const read = readSearchParams(form);
  if (!read.ok) return showError(new ApiError(read.code));
  state.running?.abort();
  clearResults();
  // The Search button is at the bottom of a long form (and on a phone the results are below it):
  // bring the results' progress into view.
  const results = $('results');
  const top = results.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 120) results.scrollIntoView({ block: 'start' });
  // Indeterminate until the first page says how far the search got.
  $('progress').removeAttribute('value');
  state.session = {
    request: { face_image_base64: state.photo.dataUrl, ...read.params },
    lastEnd: null,
    haveMore: false,
    found: 0,
    scanned: null,
    totalTime: 0,
    stopped: false,
  };
  return runRound(true);
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
      if (first) showQueryFace(queryFaceOf(res), session.request.fiqa_level);
      first = false;
      const events = Array.isArray(res.events) ? res.events : [];
      appendResults(events);
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
      if (first && apiErr.code === 'NO_FACE_ERROR') showPhotoProblem('No face found in this photo.');
      if (first && apiErr.code === 'LOW_QUALITY_ERROR') {
        const level = session.request.fiqa_level;
        const checked = state.detect.result;
        // The upload check already outlined the face and said why; keep that rather than lose the box.
        if (checked && checked.photo === state.photo && checked.level === level && !checked.res.fiqa_passed) {
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
  more.hidden = !(session.haveMore || (session.stopped && session.lastEnd === null));
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
