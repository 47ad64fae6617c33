// The query photo: chosen, dropped or pasted; shown with the face the service found and its verdict.

import { drawFaceBox } from './faceBox.js';

const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp'];

/**
 * @param {{ onPhoto: (photo: { dataUrl: string, name: string } | null, problem?: string) => void }} handlers
 */
export function wirePhotoInput({ onPhoto }) {
  const zone = /** @type {HTMLElement} */ (document.getElementById('drop-zone'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('photo-input'));

  const take = async (file) => {
    if (!file) return;
    if (file.type && !ACCEPTED.includes(file.type)) {
      onPhoto(null, 'IMAGE_NOT_OPENED');
      return;
    }
    try {
      onPhoto({ dataUrl: await readAsDataUrl(file), name: file.name || 'pasted photo' });
    } catch {
      onPhoto(null, 'UNREADABLE_FILE');
    }
  };

  input.addEventListener('change', () => take(input.files?.[0]));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    take(e.dataTransfer?.files?.[0]);
  });
  // Paste anywhere on the page, except into a text field where it means text.
  document.addEventListener('paste', (e) => {
    const target = /** @type {HTMLElement} */ (e.target);
    if (target instanceof HTMLInputElement && target.type === 'text') return;
    const file = firstImage(e.clipboardData?.files);
    if (file) {
      e.preventDefault();
      take(file);
    }
  });
}

/**
 * Shows the photo itself, before the service has looked at it.
 * @param {string} pending what the verdict line says until then
 */
export function showPhoto(dataUrl, name, pending = 'The face will be checked when you search.') {
  const figure = /** @type {HTMLElement} */ (document.getElementById('photo-preview'));
  const img = /** @type {HTMLImageElement} */ (document.getElementById('photo-image'));
  img.src = dataUrl;
  img.alt = `Search photo: ${name}`;
  figure.hidden = false;
  document.getElementById('drop-zone')?.classList.add('has-photo');
  drawFaceBox(svgEl(), img, null);
  setVerdict('pending', pending);
}

/** The verdict line while nothing is known about the face yet. */
export function showPending(text) {
  drawFaceBox(svgEl(), /** @type {HTMLImageElement} */ (document.getElementById('photo-image')), null);
  setVerdict('pending', text);
}

/**
 * What POST /sophon/v2/face/detect found, before any search: the face a search would use, outlined, and
 * whether it passes the chosen quality level (with the service's reason when not).
 * @param {{ faces?: { box: number[] }[], query_face?: { box?: number[], quality?: Record<string, number> },
 *   fiqa_level: string, fiqa_passed?: boolean, reason?: string }} res
 */
export function showDetected(res) {
  const count = Array.isArray(res.faces) ? res.faces.length : 0;
  const crowd = count > 1 ? ` ${count} faces in the photo; the outlined one, the largest, is searched.` : '';
  if (res.fiqa_passed === false) {
    const img = /** @type {HTMLImageElement} */ (document.getElementById('photo-image'));
    drawFaceBox(svgEl(), img, res.query_face?.box);
    // The size is in the reason already when the size is what fails.
    const facts = /^face size/.test(res.reason ?? '') ? '' : describeQuality(res.query_face?.quality);
    const why = res.reason ? `: ${res.reason}` : '';
    setVerdict(
      'bad',
      `Fails the "${res.fiqa_level}" quality check${why}.${facts ? ` ${facts}` : ''}${crowd}`,
    );
    return;
  }
  showQueryFace(res.query_face ?? null, res.fiqa_level);
  if (crowd) appendVerdict(crowd);
}

/**
 * The face the service searched for: its box and quality, when the response carries them.
 * @param {{ box?: number[], quality?: Record<string, number> } | null} face
 * @param {string} level the fiqa_level searched with
 */
export function showQueryFace(face, level) {
  const img = /** @type {HTMLImageElement} */ (document.getElementById('photo-image'));
  drawFaceBox(svgEl(), img, face?.box);
  const facts = describeQuality(face?.quality);
  const gate =
    level === 'no' ? 'Face found (no quality check).' : `Face found; passes the "${level}" quality check.`;
  setVerdict('ok', facts ? `${gate} ${facts}` : gate);
}

/** The photo was refused: no face, or its quality is too low (reason from the service). */
export function showPhotoProblem(text) {
  drawFaceBox(svgEl(), /** @type {HTMLImageElement} */ (document.getElementById('photo-image')), null);
  setVerdict('bad', text);
}

function describeQuality(q) {
  if (!q || typeof q !== 'object') return '';
  const parts = [];
  const size = Number(q.face_size ?? q.faceSize);
  const angles = [q.yaw, q.pitch, q.roll].map(Number);
  if (Number.isFinite(size)) parts.push(`face ${Math.round(size)} px`);
  if (angles.every(Number.isFinite)) {
    parts.push(`turned ${Math.round(angles.reduce((sum, a) => sum + Math.abs(a), 0))}°`);
  }
  return parts.length ? `(${parts.join(', ')})` : '';
}

function setVerdict(kind, text) {
  const verdict = /** @type {HTMLElement} */ (document.getElementById('photo-verdict'));
  verdict.dataset.kind = kind;
  verdict.textContent = text;
}

function appendVerdict(text) {
  const verdict = /** @type {HTMLElement} */ (document.getElementById('photo-verdict'));
  verdict.textContent += text;
}

function svgEl() {
  return /** @type {SVGSVGElement} */ (/** @type {unknown} */ (document.getElementById('photo-box')));
}

function firstImage(files) {
  return [...(files ?? [])].find((f) => f.type.startsWith('image/'));
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
