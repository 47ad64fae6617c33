import { z } from 'zod';
import { ERROR_STATUS } from '../core/errors';
import {
  DetectRequest,
  IngestEvent,
  IngestRequest,
  SearchJobRequest,
  SearchRequest,
} from '../core/requestSchemas';
import {
  DeleteResponse,
  DetectResponse,
  ErrorBody,
  Event,
  IngestBatchResponse,
  IngestResult,
  QueryFace,
  SearchJobAccepted,
  SearchJobPage,
  SearchJobState,
  SearchResponse,
} from '../core/responseSchemas';

/** Every schema the document names, by its component name. */
const COMPONENTS = {
  SearchRequest,
  DetectRequest,
  IngestRequest,
  IngestEvent,
  SearchResponse,
  Event,
  QueryFace,
  DetectResponse,
  IngestResult,
  IngestBatchResponse,
  DeleteResponse,
  ErrorBody,
  SearchJobRequest,
  SearchJobAccepted,
  SearchJobPage,
  SearchJobState,
};

const ref = (name: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof COMPONENTS, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(name) } },
});

/** The contract's errors an endpoint may answer, grouped by HTTP status. */
function errors(codes: readonly string[]): Record<string, unknown> {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const status = (ERROR_STATUS as Record<string, number>)[code] ?? 405;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [String(status), json('ErrorBody', list.join(', '))]),
  );
}

const IMAGE_ERRORS = ['UNSUPPORT_CONTENT_TYPE', 'MISSING_ARGUMENTS', 'INVALID_ARGUMENTS', 'IMAGE_NOT_OPENED'];
const ALWAYS = ['INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];
/** A search's and a search job's start: the same query analysis, gate and slot. */
const QUERY_ERRORS = [
  ...IMAGE_ERRORS,
  'NO_FACE_ERROR',
  'LOW_QUALITY_ERROR',
  'NOT_FOUND',
  'NOT_SUPPORT_IN_GRAB_MODE',
  'ANOTHER_PICTURE_SEARCH_RUNNING_ERROR',
  ...ALWAYS,
];
const jsonBody = (name: keyof typeof COMPONENTS) => ({
  required: true,
  content: { 'application/json': { schema: ref(name) } },
});
const idParameter = (description: string) => [
  { name: 'id', in: 'path', required: true, description, schema: { type: 'string' } },
];

export const OPENAPI_PATH = '/sophon/v2/openapi.json';

let cached: Record<string, unknown> | undefined;

/**
 * The OpenAPI 3.1 description of the API, generated from the zod schemas the handlers validate with
 * (requests) and answer with (responses). Served at GET /sophon/v2/openapi.json.
 *
 * @example const doc = openApiDocument(); doc.paths['/sophon/v2/face/searchbyimage']
 */
export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    // Requests as a client may send them; refinements a JSON Schema cannot say are left to the service.
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  for (const s of Object.values(schemas)) {
    delete (s as { $schema?: string }).$schema;
    delete (s as { $id?: string }).$id;
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'sophon-face-search',
      version: '2',
      description:
        'Face search by image over recognition events (CONTRACT.md), with detect, ingest, images and erasure. ' +
        'Errors are {"error": {"code", "message"}}; docs/api.md says what each field means.',
    },
    paths: {
      '/sophon/v2/face/searchbyimage': {
        post: {
          summary: 'Search the history for a face',
          requestBody: jsonBody('SearchRequest'),
          responses: {
            '200': json('SearchResponse', 'matches, newest first unless reverse is false'),
            ...errors(QUERY_ERRORS),
          },
        },
      },
      '/sophon/v2/face/searchjobs': {
        post: {
          summary: 'Start a search job: a whole window scanned in pieces, in the background (an extension)',
          requestBody: jsonBody('SearchJobRequest'),
          responses: {
            '202': json('SearchJobAccepted', 'the query face was analysed and the job started'),
            ...errors(QUERY_ERRORS),
          },
        },
      },
      '/sophon/v2/face/searchjobs/{id}': {
        get: {
          summary: "A search job's state and a page of its events",
          parameters: [
            ...idParameter('a job_id'),
            {
              name: 'page_token',
              in: 'query',
              required: false,
              description: 'the next_page_token of the previous page',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': json('SearchJobPage', "state, progress and a page of events in the search's order"),
            ...errors(['INVALID_ARGUMENTS', 'NOT_FOUND', ...ALWAYS]),
          },
        },
        delete: {
          summary: 'Cancel a search job (its results so far stay readable until it expires)',
          parameters: idParameter('a job_id'),
          responses: {
            '200': json('SearchJobState', 'the state after the cancel'),
            ...errors(['NOT_FOUND', ...ALWAYS]),
          },
        },
      },
      '/sophon/v2/face/detect': {
        post: {
          summary: 'Analyse a query photo as search would, without searching',
          requestBody: jsonBody('DetectRequest'),
          responses: {
            '200': json('DetectResponse', 'the faces, the query face and its quality verdict'),
            ...errors([...IMAGE_ERRORS, 'NO_FACE_ERROR', 'NOT_SUPPORT_IN_GRAB_MODE', ...ALWAYS]),
          },
        },
      },
      '/sophon/v2/face/events': {
        post: {
          summary: 'Ingest one event or a batch of up to 25',
          requestBody: jsonBody('IngestRequest'),
          responses: {
            '201': json('IngestResult', 'one event, stored'),
            '200': {
              description: 'one event that already existed (IngestResult), or a batch (IngestBatchResponse)',
              content: {
                'application/json': { schema: { anyOf: [ref('IngestResult'), ref('IngestBatchResponse')] } },
              },
            },
            ...errors([...IMAGE_ERRORS, 'NO_FACE_ERROR', ...ALWAYS]),
          },
        },
      },
      '/sophon/v2/face/images/{id}': {
        get: {
          summary: 'A stored face crop (<event_id>.face) or scene (<event_id>.scene)',
          parameters: idParameter('an image id'),
          responses: {
            '200': {
              description: 'the image',
              content: {
                'image/jpeg': { schema: { type: 'string', contentEncoding: 'binary' } },
                'image/png': { schema: { type: 'string', contentEncoding: 'binary' } },
                'image/webp': { schema: { type: 'string', contentEncoding: 'binary' } },
              },
            },
            ...errors(['NOT_FOUND', ...ALWAYS]),
          },
        },
      },
      [OPENAPI_PATH]: {
        get: {
          summary: 'This description',
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } },
        },
      },
      '/sophon/v2/face/events/{id}': {
        delete: {
          summary: 'Erase an event and its images',
          parameters: idParameter('an event id'),
          responses: {
            '200': json('DeleteResponse', 'erased'),
            ...errors(['NOT_FOUND', ...ALWAYS]),
          },
        },
      },
    },
    components: { schemas },
  };
  return cached;
}
