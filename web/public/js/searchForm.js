// Reads the search form into the contract's request fields. The window is fixed when a search starts,
// so "Load more" keeps asking about the same period even as the clock moves on.

import { fromLocalInput, toLocalInput } from './format.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const PRESETS = { '1h': HOUR, '24h': DAY, '7d': 7 * DAY };
/** Long windows, run as a search job (jobs.js) rather than the contract's paged call. "all": from 1970. */
const JOB_PRESETS = { '30d': 30 * DAY, '90d': 90 * DAY, all: Infinity };

/**
 * @param {HTMLFormElement} form
 * @param {number} now epoch ms
 * @returns {{ ok: true, job: boolean, params: { starttime: number, endtime: number, threshold: number,
 *   fiqa_level: string, reverse: boolean, media_device_ids?: string[] } } | { ok: false, code: string }}
 */
export function readSearchParams(form, now = Date.now()) {
  const data = new FormData(form);
  const preset = String(data.get('window') ?? '24h');
  let starttime;
  let endtime;
  if (preset === 'custom') {
    starttime = fromLocalInput(String(data.get('starttime') ?? ''));
    endtime = fromLocalInput(String(data.get('endtime') ?? ''));
    if (!Number.isFinite(starttime) || !Number.isFinite(endtime) || starttime > endtime) {
      return { ok: false, code: 'BAD_WINDOW' };
    }
  } else if (preset in JOB_PRESETS) {
    endtime = now;
    starttime = Math.max(0, now - JOB_PRESETS[preset]);
  } else {
    endtime = now;
    starttime = now - (PRESETS[preset] ?? PRESETS['24h']);
  }
  const devices = String(data.get('devices') ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const params = {
    starttime,
    endtime,
    threshold: Number(data.get('threshold') ?? 82),
    fiqa_level: String(data.get('fiqa') ?? 'low'),
    reverse: data.get('order') !== 'oldest',
  };
  if (devices.length > 0) params.media_device_ids = [...new Set(devices)];
  return { ok: true, job: preset in JOB_PRESETS, params };
}

/** Shows the custom start/end inputs only for "Custom", prefilled with the last 24 hours. */
export function wireWindowPresets(form, now = () => Date.now()) {
  const custom = /** @type {HTMLElement} */ (form.querySelector('#custom-window'));
  const start = /** @type {HTMLInputElement} */ (form.querySelector('#starttime'));
  const end = /** @type {HTMLInputElement} */ (form.querySelector('#endtime'));
  const update = () => {
    const isCustom = new FormData(form).get('window') === 'custom';
    custom.hidden = !isCustom;
    if (isCustom && !start.value && !end.value) {
      const t = now();
      start.value = toLocalInput(t - PRESETS['24h']);
      end.value = toLocalInput(t);
    }
  };
  for (const radio of form.querySelectorAll('input[name="window"]')) radio.addEventListener('change', update);
  update();
}

/** Keeps the threshold's number beside the slider. */
export function wireThreshold(form) {
  const slider = /** @type {HTMLInputElement} */ (form.querySelector('#threshold'));
  const output = /** @type {HTMLOutputElement} */ (form.querySelector('#threshold-value'));
  const update = () => {
    output.value = Number(slider.value).toFixed(1);
  };
  slider.addEventListener('input', update);
  update();
}
