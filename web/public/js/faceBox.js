// Draws a face box over a photo. Boxes are [x1, y1, x2, y2] in the photo's own pixels; the SVG's viewBox
// is the photo's natural size, so the box stays on the face however the photo is scaled on screen.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * @param {SVGSVGElement} svg an overlay sized like the image
 * @param {HTMLImageElement} img
 * @param {number[] | null | undefined} box
 */
export function drawFaceBox(svg, img, box) {
  svg.replaceChildren();
  if (!isBox(box)) return;
  const draw = () => {
    const w = img.naturalWidth;
    const h = img.naturalHeight;
    if (!w || !h) return;
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    const rect = document.createElementNS(SVG_NS, 'rect');
    const [x1, y1, x2, y2] = box;
    rect.setAttribute('x', String(x1));
    rect.setAttribute('y', String(y1));
    rect.setAttribute('width', String(Math.max(0, x2 - x1)));
    rect.setAttribute('height', String(Math.max(0, y2 - y1)));
    // Stroke in screen pixels, so the box is visible on a 4000 px photo and a 250 px crop alike.
    rect.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.replaceChildren(rect);
  };
  if (img.complete && img.naturalWidth) draw();
  else img.addEventListener('load', draw, { once: true });
}

function isBox(box) {
  return Array.isArray(box) && box.length === 4 && box.every((v) => Number.isFinite(Number(v)));
}
