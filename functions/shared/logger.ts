import pino from 'pino';

/**
 * The process logger. Redaction is a safety net, not the plan: callers log a request's shape
 * (sizes, counts, ids), never its image or embedding.
 */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: 'sophon-face-search' },
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
});
