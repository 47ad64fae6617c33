import sharp from 'sharp';

/** Renders a Vega-Lite spec to PNG (Vega → SVG → sharp): no canvas, no browser. */
export async function renderPng(spec: Record<string, unknown>, file: string): Promise<void> {
  // Both packages are ESM-only; this file is CommonJS.
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const view = new vega.View(vega.parse(compile(spec as any).spec), { renderer: 'none' });
  const svg = await view.toSVG(2);
  view.finalize();
  await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toFile(file);
}
