/**
 * What a log line may say about an unexpected error. Library errors sometimes echo their input (a body
 * that failed to parse, a value a validator refused), and that input can be a face photo in base64 or
 * an embedding, so messages are cut short and long base64 runs and number lists are blanked out.
 */
export interface LoggableError {
  name?: string;
  message?: string;
  stack?: string;
}

const MAX_MESSAGE = 300;
const MAX_FRAMES = 12;
/** 64 characters of the base64 alphabet in a row: no word, id or path looks like that. */
const BASE64_RUN = /[A-Za-z0-9+/=_-]{64,}/g;
/** Eight numbers in a list: the start of an embedding or of a serialized Buffer. */
const NUMBER_LIST = /(?:-?\d+(?:\.\d+)?(?:e[-+]?\d+)?\s*,\s*){7,}-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi;

export function scrubLogText(text: string): string {
  return text.replace(BASE64_RUN, '[redacted]').replace(NUMBER_LIST, '[numbers]');
}

/**
 * @example logger.error({ err: loggableError(err) }, 'unexpected failure');
 */
export function loggableError(err: unknown, withStack = false): LoggableError {
  if (typeof err !== 'object' || err === null) return { name: typeof err };
  const e = err as { name?: unknown; message?: unknown; stack?: unknown };
  const out: LoggableError = { name: typeof e.name === 'string' ? e.name.slice(0, 100) : undefined };
  // Scrubbed before it is cut, so no shorter tail of a base64 run survives the cut.
  if (typeof e.message === 'string')
    out.message = scrubLogText(e.message.slice(0, 100 * MAX_MESSAGE)).slice(0, MAX_MESSAGE);
  if (withStack && typeof e.stack === 'string') {
    // Frames only: the stack's first line repeats the message, uncut.
    const frames = e.stack.split('\n').filter((l) => /^\s+at /.test(l));
    out.stack = scrubLogText(frames.slice(0, MAX_FRAMES).join('\n'));
  }
  return out;
}
