// Sightings at a glance: the matches over the searched window, one lane per camera, each match a mark
// that opens its scene. Plain DOM: a lane is a row, a mark a button placed at its time's share of the
// window. Events are added as they arrive (search pages now, search-job results later), in any order.

import { eventMillis, formatScore, formatTime } from './format.js';
import { deviceLabel } from './results.js';

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  start: 0,
  end: 1,
  /** Marks so far (the index of an event in the grid is its mark's index). */
  count: 0,
  /** @type {(index: number) => void} */ open: () => {},
};

/**
 * @param {{ onOpen: (index: number) => void }} handlers onOpen gets the event's index in the grid
 */
export function wireTimeline({ onOpen }) {
  state.open = onOpen;
  // One tab stop for the whole timeline; arrow keys move between marks (in time order), as in a toolbar.
  $('timeline-lanes').addEventListener('keydown', (e) => {
    if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) return;
    const marks = orderedMarks();
    const at = marks.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (at < 0) return;
    e.preventDefault();
    const next =
      e.key === 'Home' ? 0 : e.key === 'End' ? marks.length - 1 : at + (e.key === 'ArrowRight' ? 1 : -1);
    focusMark(marks[Math.max(0, Math.min(marks.length - 1, next))], marks);
  });
}

/** A new, empty timeline over [startMs, endMs]. */
export function resetTimeline(startMs, endMs) {
  state.start = startMs;
  state.end = Math.max(endMs, startMs + 1);
  state.count = 0;
  $('timeline-lanes').replaceChildren();
  $('timeline-start').textContent = formatTime(startMs);
  $('timeline-end').textContent = formatTime(endMs);
  $('timeline').hidden = true;
}

/** Adds marks for `events`, which follow the ones already added in the grid's order. */
export function addToTimeline(events) {
  for (const event of events) {
    const index = state.count++;
    const when = eventMillis(event.timestamp);
    const camera = deviceLabel(event.media_device_info);
    const mark = document.createElement('button');
    mark.type = 'button';
    mark.className = 'mark';
    mark.dataset.index = String(index);
    mark.dataset.time = String(when);
    const share = (when - state.start) / (state.end - state.start);
    mark.style.left = `${(100 * Math.min(1, Math.max(0, share))).toFixed(3)}%`;
    mark.setAttribute(
      'aria-label',
      `${camera}, ${formatTime(when)}, similarity ${formatScore(event.compare_score)}`,
    );
    mark.title = `${camera} · ${formatTime(when)} · ${formatScore(event.compare_score)}`;
    mark.tabIndex = -1;
    mark.addEventListener('click', () => state.open(index));
    laneFor(camera).append(mark);
  }
  const marks = orderedMarks();
  if (marks.length > 0 && !marks.some((m) => m.tabIndex === 0)) marks[0].tabIndex = 0;
  $('timeline').hidden = marks.length === 0;
}

export function hideTimeline() {
  $('timeline').hidden = true;
}

function laneFor(camera) {
  const lanes = $('timeline-lanes');
  for (const lane of lanes.children) {
    if (/** @type {HTMLElement} */ (lane).dataset.camera === camera) {
      return /** @type {HTMLElement} */ (lane.querySelector('.lane-track'));
    }
  }
  const lane = document.createElement('div');
  lane.className = 'lane';
  lane.dataset.camera = camera;
  lane.setAttribute('role', 'group');
  lane.setAttribute('aria-label', `Camera ${camera}`);
  const label = document.createElement('span');
  label.className = 'lane-label';
  label.textContent = camera;
  const track = document.createElement('div');
  track.className = 'lane-track';
  lane.append(label, track);
  // Lanes in name order, so a camera keeps its place as pages arrive.
  const after = [...lanes.children].find((l) => /** @type {HTMLElement} */ (l).dataset.camera > camera);
  lanes.insertBefore(lane, after ?? null);
  return track;
}

function orderedMarks() {
  return [...$('timeline-lanes').querySelectorAll('.mark')]
    .map((m) => /** @type {HTMLElement} */ (m))
    .sort((a, b) => Number(a.dataset.time) - Number(b.dataset.time));
}

function focusMark(mark, marks) {
  for (const m of marks) m.tabIndex = m === mark ? 0 : -1;
  mark.focus();
}
