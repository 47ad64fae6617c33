// Plain-word explanations of the contract's error codes, for people who search rather than program.
// Only LOW_QUALITY_ERROR and INVALID_ARGUMENTS show the service's own text: there it is the reason.

import { apiKeyRequired } from './api.js';
import { signIn } from './signIn.js';

// A signed-in person whose groups do not include what they asked for (or whose sign-in ran out).
// A table of what each refusal means to the person at the console: alike in shape by design.
const NOT_ALLOWED = {
  title: 'Your account is not allowed to do this.',
  advice: 'Ask an administrator to add you to the searcher group, then sign in again.',
};
const SIGN_IN_AGAIN = {
  title: 'Your sign-in has ended.',
  advice: 'Reload the page to sign in again.',
};

const KEY_REFUSED = {
  title: 'The API key was not accepted.',
  advice: 'Enter the key your administrator gave you in the API key field above.',
};

// API Gateway behind IAM authorization wants SigV4-signed calls, which a web page cannot make.
const SIGNED_ONLY = {
  title: 'This service accepts only signed calls, which a web page cannot make.',
  advice:
    'Ask the administrator for a console deployment with API keys, or use the console on the appliance.',
};

const PLAIN = {
  NO_FACE_ERROR: {
    title: 'No face found in this photo.',
    advice: 'Use a photo where the face is clearly visible, facing the camera and not too small.',
  },
  LOW_QUALITY_ERROR: {
    title: 'The face in this photo is not good enough for the chosen quality level.',
    advice: 'Use a sharper, larger, front-facing photo, or choose a lower "Photo quality required".',
  },
  ANOTHER_PICTURE_SEARCH_RUNNING_ERROR: {
    title: 'Other searches are running right now.',
    advice: 'Wait a few seconds, then press Search (or Load more) again.',
  },
  IMAGE_NOT_OPENED: {
    title: 'This file could not be opened as a photo.',
    advice: 'Use a JPEG, PNG or WebP picture.',
  },
  MISSING_ARGUMENTS: {
    title: 'Choose a photo first.',
    advice: 'Drop, paste or choose the photo of the person you are looking for.',
  },
  INVALID_ARGUMENTS: {
    title: 'A search setting was not accepted.',
    advice: 'Check the time window (the start must be before the end) and the photo size (at most 8 MB).',
  },
  NOT_SUPPORT_IN_GRAB_MODE: {
    title: 'Searching is turned off on this installation.',
    advice: 'It is set up to capture faces only. Ask the administrator.',
  },
  UNSUPPORT_CONTENT_TYPE: {
    title: 'The service did not understand the request.',
    advice: 'Reload the page; if it keeps happening, tell the administrator.',
  },
  SERVICE_UNAVAILABLE: {
    title: 'The event store cannot be reached right now.',
    advice: 'Try again in a minute.',
  },
  GATEWAY_TIMEOUT: {
    title: 'The search took too long to answer.',
    advice: 'Try a shorter time window, or press Search again.',
  },
  NETWORK_ERROR: {
    title: 'The search service cannot be reached.',
    advice: 'Check the network connection, then try again.',
  },
  NO_PHOTO: {
    title: 'Choose a photo first.',
    advice: 'Drop, paste or choose the photo of the person you are looking for.',
  },
  JOB_FAILED: {
    title: 'The long search failed part way.',
    advice: 'The matches found before it failed are shown. Try again, or search a shorter window.',
  },
  BAD_WINDOW: {
    title: 'The time window is not valid.',
    advice: 'Pick both a start and an end, with the start before the end.',
  },
  TOO_MANY_PHOTOS: {
    title: 'Too many photos.',
    advice: 'Choose one photo, or 2 to 5 photos of the same person.',
  },
  NOT_FOUND: {
    title: 'This event is no longer stored.',
    advice: 'It may have been erased; search with a photo instead.',
  },
  UNREADABLE_FILE: {
    title: 'This file could not be read.',
    advice: 'Use a JPEG, PNG or WebP picture.',
  },
  NO_API_KEY: {
    title: 'Enter the API key first.',
    advice: 'This service needs an API key; your administrator has it.',
  },
  INVALID_API_KEY: KEY_REFUSED,
  MISSING_AUTHENTICATION_TOKEN: SIGNED_ONLY,
  INVALID_SIGNATURE: SIGNED_ONLY,
  ACCESS_DENIED: SIGNED_ONLY,
  FORBIDDEN: signIn ? NOT_ALLOWED : apiKeyRequired ? KEY_REFUSED : SIGNED_ONLY,
  UNAUTHORIZED: SIGN_IN_AGAIN,
};

const FALLBACK = {
  title: 'Something went wrong on the server.',
  advice: 'Try again; if it keeps happening, tell the administrator.',
};

/** What an INVALID_ARGUMENTS message (`<key>: <what is allowed>`) means in the form's words, by key. */
const FIELD_REASONS = {
  face_image_base64: 'the photo is too large or damaged',
  face_image_path: 'the photo cannot be used',
  face_images_base64: 'give 2 to 5 photos of one person',
  event_id: 'the event to search from is not valid',
  starttime: 'the start of the time window is not valid',
  endtime: 'the end of the time window is not valid',
  last_end_timestamp: 'the point to continue from is not valid; start a new search',
  threshold: 'the minimum similarity is not valid',
  fiqa_level: 'the photo quality level is not valid',
  media_device_ids: 'the device list is not valid',
  reverse: 'the order is not valid',
};

/**
 * @param {{ code: string, message?: string }} err
 * @returns {{ title: string, advice: string, reason: string }} reason is '' unless the service's text helps
 */
export function explain(err) {
  const plain = PLAIN[err.code] ?? FALLBACK;
  const message = (err.message ?? '').trim();
  let reason = '';
  // Several photos: the service names the refused one by its index; people count from 1.
  const listed = /^face_images_base64\[(\d+)\]:\s*(.*)$/.exec(message);
  if (listed) return { ...plain, reason: clip(`photo ${Number(listed[1]) + 1}: ${listed[2]}`) };
  if (err.code === 'IMAGE_NOT_OPENED' && message) reason = clip(message);
  if (err.code === 'LOW_QUALITY_ERROR' && message) reason = clip(message);
  if (err.code === 'INVALID_ARGUMENTS' && message) {
    const key = message.split(':')[0];
    reason = Object.hasOwn(FIELD_REASONS, key) ? FIELD_REASONS[key] : '';
  }
  return { ...plain, reason };
}

function clip(text) {
  // A reason is one short line; anything longer is not meant for people.
  const line = text.split('\n')[0];
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}
