// Taking the results away for an incident file: the matches as CSV, and a printable report (the print
// stylesheet shows only #report: face crops, scene thumbnails and the facts of each match).

import { imageUrl } from './api.js';
import { eventMillis, formatScore, formatTime } from './format.js';
import { deviceLabel, identityLabel } from './results.js';

export const CSV_COLUMNS = [
  'time',
  'time_zone',
  'camera',
  'camera_id',
  'score',
  'identity',
  'event_id',
  'face_image_url',
  'scene_image_url',
];

// One cell: quoted, quotes doubled, and a cell a spreadsheet would run as a formula (one starting with
// "=", "+", "-", "@", a tab or a carriage return) prefixed with ' so it stays text (OWASP's advice on
// CSV injection).
export function csvCell(value) {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** ISO 8601 in the browser's zone, with its offset: "2026-12-02T13:05:09.250+08:00". */
export function localIso(ms) {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
    `${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

const zoneName = () => Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';

/** Absolute link to a stored image ('' when the event has none). */
function link(id) {
  return id ? new URL(imageUrl(id), document.baseURI).href : '';
}

/** @param {Record<string, any>[]} events */
export function toCsv(events) {
  const zone = zoneName();
  const rows = events.map((e) => [
    localIso(eventMillis(e.timestamp)),
    zone,
    deviceLabel(e.media_device_info),
    e.media_device_info?.media_device_id ?? '',
    formatScore(e.compare_score),
    identityLabel(e),
    e.event_id ?? '',
    link(e.recognize_face_image_id),
    link(e.spot_image_id),
  ]);
  // CRLF and a BOM: what spreadsheet programs expect of a CSV with non-ASCII names.
  return `\uFEFF${[CSV_COLUMNS, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** Offers the CSV as a download named for the moment it was made. */
export function downloadCsv(events) {
  const blob = new Blob([toCsv(events)], { type: 'text/csv;charset=utf-8' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `face-search-${localIso(Date.now()).slice(0, 19).replace(/:/g, '-')}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

/**
 * Fills the printable report and opens the print dialog once its images have loaded (or failed).
 * @param {Record<string, any>[]} events
 * @param {string} summary what was searched, in words
 * @param {(img: HTMLImageElement, id: string) => void} showImage loads a stored image (with the key)
 */
export async function printReport(events, summary, showImage) {
  document.getElementById('report-summary').textContent = summary;
  const body = document.getElementById('report-rows');
  const images = [];
  const cell = (content) => {
    const td = document.createElement('td');
    if (typeof content === 'string') td.textContent = content;
    else if (content) td.append(content);
    return td;
  };
  const picture = (id, alt, cls) => {
    if (!id) return 'No image stored';
    const img = document.createElement('img');
    img.className = cls;
    img.alt = alt;
    images.push(
      new Promise((resolve) => {
        img.addEventListener('load', resolve, { once: true });
        img.addEventListener('error', resolve, { once: true });
      }),
    );
    showImage(img, id);
    return img;
  };
  body.replaceChildren(
    ...events.map((e) => {
      const when = formatTime(eventMillis(e.timestamp));
      const tr = document.createElement('tr');
      tr.append(
        cell(picture(e.recognize_face_image_id, `Face at ${when}`, 'report-crop')),
        cell(picture(e.spot_image_id, `Scene at ${when}`, 'report-scene')),
        cell(when),
        cell(deviceLabel(e.media_device_info)),
        cell(formatScore(e.compare_score)),
        cell(identityLabel(e)),
        cell(e.event_id ?? ''),
      );
      return tr;
    }),
  );
  await Promise.race([Promise.all(images), new Promise((r) => setTimeout(r, 10_000))]);
  window.print();
}
