// The query photo: chosen, dropped or pasted; shown with the face the service found and its verdict.

import { drawFaceBox } from './faceBox.js';
import { release, showStoredImage } from './images.js';

const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp'];
/** face_images_base64 takes 2 to 5 photos of one person. */
export const MAX_PHOTOS = 5;

/**
 * One photo, or several of one person (2 to 5, searched as one template). `problem` is an error code
 * when the files cannot be used; `name` then says which file.
 * @param {{ onPhotos: (photos: { dataUrl: string, name: string }[] | null, problem?: string,
 *   name?: string) => void }} handlers
 */
export function wirePhotoInput({ onPhotos }) {
  const zone = /** @type {HTMLElement} */ (document.getElementById('drop-zone'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('photo-input'));

  const take = async (fileList) => {
    const files = [...(fileList ?? [])];
    if (files.length === 0) return;
    if (files.length > MAX_PHOTOS) {
      onPhotos(null, 'TOO_MANY_PHOTOS');
      return;
    }
    const wrong = files.find((f) => f.type && !ACCEPTED.includes(f.type));
    if (wrong) {
      onPhotos(null, 'IMAGE_NOT_OPENED', wrong.name);
      return;
    }
    try {
      const photos = await Promise.all(
        files.map(async (f) => ({ dataUrl: await readAsDataUrl(f), name: f.name || 'pasted photo' })),
      );
      onPhotos(photos);
    } catch {
      onPhotos(null, 'UNREADABLE_FILE');
    }
  };

  input.addEventListener('change', () => take(input.files));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    take(e.dataTransfer?.files);
  });
  // Paste anywhere on the page, except into a text field where it means text.
  document.addEventListener('paste', (e) => {
    const target = /** @type {HTMLElement} */ (e.target);
    if (target instanceof HTMLInputElement && target.type === 'text') return;
    const file = firstImage(e.clipboardData?.files);
    if (file) {
      e.preventDefault();
      take([file]);
    }
  });
}

/** No photo any more (a file that could not be opened): nothing shown, nothing to search. */
export function clearPhoto() {
  const img = /** @type {HTMLImageElement} */ (document.getElementById('photo-image'));
  release(img);
  img.removeAttribute('src');
  drawFaceBox(svgEl(), img, null);
  setVerdict('pending', '');
  /** @type {HTMLElement} */ (document.getElementById('photo-preview')).hidden = true;
  const list = /** @type {HTMLElement} */ (document.getElementById('photo-list'));
  list.replaceChildren();
  list.hidden = true;
  document.getElementById('drop-zone')?.classList.remove('has-photo');
  const input = /** @type {HTMLInputElement} */ (document.getElementById('photo-input'));
  input.value = '';
}

/**
 * Several photos of one person, each with its own face box and verdict (`showListedVerdict`).
 * @param {{ dataUrl: string, name: string }[]} photos
 */
export function showPhotoList(photos, pending) {
  clearPhoto();
  const list = /** @type {HTMLElement} */ (document.getElementById('photo-list'));
  list.replaceChildren(
    ...photos.map((photo, i) => {
      const li = document.createElement('li');
      li.className = 'listed-photo';
      const frame = document.createElement('div');
      frame.className = 'boxed-image';
      const img = document.createElement('img');
      img.src = photo.dataUrl;
      img.alt = `Search photo ${i + 1}: ${photo.name}`;
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('class', 'face-box');
      svg.setAttribute('aria-hidden', 'true');
      frame.append(img, svg);
      const caption = document.createElement('p');
      caption.className = 'verdict';
      caption.dataset.kind = 'pending';
      caption.textContent = `Photo ${i + 1}: ${pending}`;
      li.append(frame, caption);
      return li;
    }),
  );
  list.hidden = false;
  document.getElementById('drop-zone')?.classList.add('has-photo');
}

/**
 * The verdict of photo `index` of the list: 'ok' with the face box and quality facts, or 'bad' with why.
 * @param {number} index
 * @param {{ kind: 'ok' | 'bad' | 'pending', text: string, box?: number[] }} verdict
 */
export function showListedVerdict(index, { kind, text, box }) {
  const li = document.querySelectorAll('#photo-list .listed-photo')[index];
  if (!li) return;
  const img = /** @type {HTMLImageElement} */ (li.querySelector('img'));
  drawFaceBox(/** @type {SVGSVGElement} */ (li.querySelector('svg')), img, box);
  const caption = /** @type {HTMLElement} */ (li.querySelector('.verdict'));
  caption.dataset.kind = kind;
  caption.textContent = `Photo ${index + 1}: ${text}`;
}

/** What a detect answer says about one photo, in the words of the single-photo verdict. */
export function detectVerdict(res) {
  if (res.fiqa_passed === false) {
    return {
      kind: /** @type {const} */ ('bad'),
      text: `fails the "${res.fiqa_level}" quality check${res.reason ? `: ${res.reason}` : ''}.`,
      box: res.query_face?.box,
    };
  }
  const facts = describeQuality(res.query_face?.quality);
  const gate =
    res.fiqa_level === 'no'
      ? 'face found (no quality check).'
      : `face found; passes the "${res.fiqa_level}" quality check.`;
  return {
    kind: /** @type {const} */ ('ok'),
    text: facts ? `${gate} ${facts}` : gate,
    box: res.query_face?.box,
  };
}

/**
 * A stored event's face as the query ("Search with this face"): its crop, and what it is.
 * @param {{ recognize_face_image_id?: string }} event
 * @param {string} label which event, in words
 */
export function showEventFace(event, label) {
  clearPhoto();
  const figure = /** @type {HTMLElement} */ (document.getElementById('photo-preview'));
  const img = /** @type {HTMLImageElement} */ (document.getElementById('photo-image'));
  img.alt = `Search face: ${label}`;
  if (event.recognize_face_image_id) showStoredImage(img, event.recognize_face_image_id);
  figure.hidden = false;
  document.getElementById('drop-zone')?.classList.add('has-photo');
  setVerdict('ok', `The stored face of ${label}: no photo to check, the event's own face is searched.`);
}

/**
 * Shows the photo itself, before the service has looked at it.
 * @param {string} pending what the verdict line says until then
 */
export function showPhoto(dataUrl, name, pending = 'The face will be checked when you search.') {
  clearPhoto();
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
