import pino from 'pino';
import { currentRequest } from '../observability/requestContext';

/** Where log lines go: anything with a `write(line)` (pino writes one JSON line per call). */
export interface LogDestination {
  write(line: string): unknown;
}

const stdout = pino.destination(1);
let destination: LogDestination = stdout;

/**
 * The process logger. pino rather than Powertools Logger: its redaction and the capture hook below are
 * what the no-image-in-logs tests rely on, every call site is pino's `(fields, message)`, and the Lambda
 * request id comes from withRequestContext's AsyncLocalStorage, which (unlike a logger's appended keys)
 * stays right when the local server runs several requests at once. Redaction is a safety net, not the plan: callers log a request's shape
 * (sizes, counts, ids), never its image or embedding.
 */
export const logger = pino(
  {
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
    base: { service: 'sophon-face-search' },
    // Every line written while a Lambda invocation runs carries its request id (withRequestContext).
    mixin: () => {
      const request = currentRequest();
      return request ? { requestId: request.requestId } : {};
    },
    redact: {
      paths: [
        'face_image_base64',
        '*.face_image_base64',
        'image',
        '*.image',
        'embedding',
        '*.embedding',
        'body',
        '*.body',
      ],
      censor: '[redacted]',
    },
  },
  // A forwarding stream, so tests can capture the lines of the one process-wide logger.
  { write: (line: string) => destination.write(line) },
);

/**
 * For tests that inspect what the service logs (for example that no image data reaches the logs):
 * sends every line to `dest` at `level` until the returned function restores stdout and the level.
 *
 * @example const lines: string[] = []; const restore = setLogDestination({ write: (l) => lines.push(l) });
 */
export function setLogDestination(dest: LogDestination, level: pino.LevelWithSilent = 'debug'): () => void {
  const previousLevel = logger.level;
  destination = dest;
  logger.level = level;
  return () => {
    destination = stdout;
    logger.level = previousLevel;
  };
}
