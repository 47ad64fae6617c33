// Stored face crops and scene images on the page. Without an API key an <img> loads them itself (lazily).
// With one, an <img> cannot send the x-api-key header, so they are fetched with it and shown as blob:
// URLs: crops only when their card comes near the screen (a page can hold 1,000 results), each URL
// revoked when its image leaves the page.

import { credentialsInHeader, imageBlobUrl, imageUrl } from './api.js';

/** blob: URLs in use, by the <img> showing them. */
const blobs = new Map();
let observer = null;

/**
 * Shows stored image `id` in `img`; `onMissing` runs if it cannot be loaded.
 *
 * @param {HTMLImageElement} img
 * @param {string} id
 * @param {{ lazy?: boolean, onMissing?: () => void }} [opts]
 */
export function showStoredImage(img, id, { lazy = false, onMissing } = {}) {
  release(img);
  if (!credentialsInHeader) {
    if (lazy) img.loading = 'lazy';
    if (onMissing) img.addEventListener('error', onMissing, { once: true });
    img.src = imageUrl(id);
    return;
  }
  img.dataset.imageId = id;
  const load = () => {
    imageBlobUrl(id)
      .then((url) => {
        // The image was reused for another id (or removed) meanwhile: this URL is nobody's.
        if (img.dataset.imageId !== id || !img.isConnected) return URL.revokeObjectURL(url);
        blobs.set(img, url);
        img.src = url;
      })
      .catch(() => onMissing?.());
  };
  if (!lazy || typeof IntersectionObserver === 'undefined') return load();
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        observer.unobserve(e.target);
        /** @type {any} */ (e.target)._loadStored?.();
      }
    },
    { rootMargin: '400px' },
  );
  /** @type {any} */ (img)._loadStored = load;
  observer.observe(img);
}

/** Frees the blob: URL (and the pending load) of one image. */
export function release(img) {
  observer?.unobserve(img);
  delete img.dataset.imageId;
  const url = blobs.get(img);
  if (url) {
    URL.revokeObjectURL(url);
    blobs.delete(img);
  }
}

/** Frees every blob: URL of images inside `root` (the grid being cleared). */
export function releaseAll(root) {
  for (const img of root.querySelectorAll('img')) release(/** @type {HTMLImageElement} */ (img));
}
