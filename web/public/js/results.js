// The result grid: one card per event, and the scene dialog a card opens. The grid keeps the events it
// shows (shownEvents) for the timeline's clicks and the exports; events arrive in pages from any source
// (search pages now, search jobs later) and are appended as they come.

import { drawFaceBox } from './faceBox.js';
import { eventMillis, formatScore, formatTime, formatUserType } from './format.js';
import { release, releaseAll, showStoredImage } from './images.js';

const grid = () => /** @type {HTMLOListElement} */ (document.getElementById('result-grid'));

/** @type {Record<string, any>[]} */
const shown = [];
/** @type {(event: Record<string, any>) => void} */
let searchFace = () => {};

export function clearResults() {
  releaseAll(grid());
  grid().replaceChildren();
  shown.length = 0;
}

/** The events on screen, in grid order. */
export function shownEvents() {
  return shown;
}

/** Appends events (in the order the service returned them) to the grid. */
export function appendResults(events) {
  const list = grid();
  events.forEach((event) => {
    shown.push(event);
    list.append(card(event, shown.length));
  });
}

/** Opens the scene of the `index`th shown event (0-based), as clicking its card does. */
export function openResult(index) {
  const button = /** @type {HTMLButtonElement | undefined} */ (
    grid().querySelectorAll('.result-card')[index]
  );
  button?.click();
}

/** The crop, or a labelled placeholder where the event has no stored image (synthetic events). */
function cropOf(event) {
  const placeholder = () => {
    const box = document.createElement('span');
    box.className = 'crop crop-placeholder';
    box.setAttribute('role', 'img');
    box.setAttribute('aria-label', 'No face image stored for this event');
    box.textContent = 'No image stored';
    return box;
  };
  if (!event.recognize_face_image_id) return placeholder();
  const crop = document.createElement('img');
  crop.className = 'crop';
  crop.alt = '';
  showStoredImage(crop, event.recognize_face_image_id, {
    lazy: true,
    onMissing: () => crop.replaceWith(placeholder()),
  });
  return crop;
}

function card(event, position) {
  const li = document.createElement('li');
  li.className = 'result';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'result-card';
  const when = eventMillis(event.timestamp);
  const device = deviceLabel(event.media_device_info);
  const name = identityLabel(event);
  button.setAttribute(
    'aria-label',
    `Result ${position}: similarity ${formatScore(event.compare_score)}, ${name}, ${formatTime(when)}, ${device}. Open the scene.`,
  );

  const crop = cropOf(event);

  const score = document.createElement('span');
  score.className = 'score';
  score.textContent = formatScore(event.compare_score);

  const meta = document.createElement('span');
  meta.className = 'meta';
  const time = document.createElement('time');
  time.dateTime = new Date(when).toISOString();
  time.textContent = formatTime(when);
  meta.append(
    line('identity', name),
    line('user-type', formatUserType(event.user_type), `type-${event.user_type ?? 'unknown'}`),
    time,
    line('device', device),
  );

  button.append(crop, score, meta);
  button.addEventListener('click', () => openScene(event, button));
  const again = document.createElement('button');
  again.type = 'button';
  again.className = 'button secondary search-face';
  again.textContent = 'Search with this face';
  again.setAttribute('aria-label', `Search with this face: result ${position}, ${name}, ${formatTime(when)}`);
  again.addEventListener('click', () => searchFace(event));
  li.append(button, again);
  return li;
}

function line(cls, text, extra) {
  const span = document.createElement('span');
  span.className = extra ? `${cls} ${extra}` : cls;
  span.textContent = text;
  return span;
}

export function identityLabel(event) {
  const name = event.identity_name;
  return name && name !== 'stranger' ? name : 'Unknown person';
}

export function deviceLabel(info) {
  return info?.media_device_name || info?.media_device_id || 'Unknown device';
}

/** Opens the scene image with the face box; focus returns to the card when the dialog closes. */
function openScene(event, opener) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('scene-dialog'));
  const img = /** @type {HTMLImageElement} */ (document.getElementById('scene-image'));
  const svg = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (document.getElementById('scene-box')));
  const missing = /** @type {HTMLElement} */ (document.getElementById('scene-missing'));
  const when = eventMillis(event.timestamp);
  const info = event.media_device_info ?? {};

  document.getElementById('scene-title').textContent = `${identityLabel(event)} at ${formatTime(when)}`;
  svg.replaceChildren();
  if (event.spot_image_id) {
    img.hidden = false;
    missing.hidden = true;
    img.removeAttribute('src');
    img.alt = `Scene from ${deviceLabel(info)} at ${formatTime(when)}, the face is outlined`;
    showStoredImage(img, event.spot_image_id);
    drawFaceBox(svg, img, event.recognize_face_attr?.box);
  } else {
    img.hidden = true;
    missing.hidden = false;
  }

  const details = /** @type {HTMLDListElement} */ (document.getElementById('scene-details'));
  details.replaceChildren();
  const rows = [
    ['Similarity', formatScore(event.compare_score)],
    ['Person', identityLabel(event)],
    ['Type', formatUserType(event.user_type)],
    ['Time', formatTime(when)],
    ['Left at', event.out_timestamp ? formatTime(eventMillis(event.out_timestamp)) : ''],
    ['Device', deviceLabel(info)],
    ['Device ID', info.media_device_id ?? ''],
    ['Device address', info.media_device_ip ?? ''],
  ];
  for (const [term, value] of rows) {
    if (!value) continue;
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    details.append(dt, dd);
  }
  /** @type {any} */ (dialog).currentEvent = event;
  dialog.addEventListener(
    'close',
    () => {
      release(img);
      opener.focus();
    },
    { once: true },
  );
  dialog.showModal();
}

/**
 * The dialog's Close button and a click on the backdrop close it; Escape does natively. "Search with
 * this face" (on each card and in the dialog) calls `onSearchFace` with the event.
 * @param {{ onSearchFace: (event: Record<string, any>) => void }} handlers
 */
export function wireSceneDialog({ onSearchFace }) {
  searchFace = onSearchFace;
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('scene-dialog'));
  document.getElementById('scene-close').addEventListener('click', () => dialog.close());
  document.getElementById('scene-search').addEventListener('click', () => {
    const event = /** @type {any} */ (dialog).currentEvent;
    dialog.close();
    if (event) onSearchFace(event);
  });
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
}
