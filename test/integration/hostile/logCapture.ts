/**
 * Captures what the service logs (through the logger's test hook) and finds image data in it: base64
 * runs of the photos sent, raw JPEG bytes, embedding-length number lists, face_image_base64 values.
 */
import { setLogDestination } from '../../../functions/shared/logger';

export class LogCapture {
  readonly lines: string[] = [];
  /** base64 of every photo sent (whole files), and face_image_base64 strings sent as they were. */
  private readonly secrets: string[] = [];
  private restore?: () => void;

  start(): this {
    this.restore = setLogDestination({ write: (line: string) => this.lines.push(line) }, 'debug');
    return this;
  }

  stop(): void {
    this.restore?.();
  }

  /** Remember what must never show up. Short values are skipped: they would match by accident. */
  sent(value: Buffer | string): void {
    const text = typeof value === 'string' ? value : value.toString('base64');
    if (text.length >= 32) this.secrets.push(text);
  }

  /** Every line that leaks, with why; [] when the logs are clean. */
  leaks(from = 0): { why: string; line: string }[] {
    const found: { why: string; line: string }[] = [];
    for (const line of this.lines.slice(from)) {
      const why = this.leakIn(line);
      if (why) found.push({ why, line: line.slice(0, 300) });
    }
    return found;
  }

  private leakIn(line: string): string | undefined {
    // Any 64-character window of a base64 run in the line that is part of something sent.
    for (const run of line.match(/[A-Za-z0-9+/]{64,}/g) ?? []) {
      for (let i = 0; i + 64 <= run.length; i++) {
        const window = run.slice(i, i + 64);
        if (this.secrets.some((s) => s.includes(window))) return 'base64 of a photo sent';
      }
    }
    const short = this.secrets.find((s) => s.length < 64 && line.includes(s));
    if (short) return 'a face_image_base64 value';
    if (/ÿØÿ|\\u00ff\\u00d8\\u00ff|ffd8ff|255,\s*216,\s*255|\/9j\/4/i.test(line)) return 'JPEG bytes';
    if (/\x89PNG|iVBORw0KGgo/.test(line)) return 'PNG bytes';
    if (/(?:-?\d+(?:\.\d+)?(?:e[-+]?\d+)?\s*,\s*){99,}-?\d/i.test(line)) return 'a list of 100+ numbers';
    return undefined;
  }
}
