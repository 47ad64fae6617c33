import { z } from 'zod';
import { FIQA_LEVELS } from './face';
import { ERROR_STATUS } from './errors';
import { FIELD_CAPS } from './eventFields';
import { USER_TYPES } from './requestSchemas';

/**
 * What the endpoints answer, as zod schemas: described in the OpenAPI document (http/openapi.ts) and
 * checked against every reply of the integration tests. Objects stay open (extra fields allowed), as
 * the contract lets a response carry fields beyond the original's.
 */

/** Codes beyond ERROR_STATUS that only routing answers with (images, events, the local server). */
const ROUTING_CODES = ['METHOD_NOT_ALLOWED', 'INVALID_API_KEY'] as const;

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum([...(Object.keys(ERROR_STATUS) as (keyof typeof ERROR_STATUS)[]), ...ROUTING_CODES]),
    message: z
      .string()
      .meta({ description: 'the key, then what is allowed (docs/api.md, "Error messages")' }),
  }),
});

export const QueryFace = z.looseObject({
  box: z.array(z.number()).length(4),
  det_score: z.number(),
  quality: z.record(z.string(), z.number()),
});

const text = (max: number) => z.string().max(max);

export const Event = z.looseObject({
  compare_score: z.number().min(0).max(100),
  timestamp: z.number().meta({ description: 'seconds' }),
  out_timestamp: z.number().optional(),
  identity_name: text(FIELD_CAPS.identity_name),
  identity_id: text(FIELD_CAPS.identity_id),
  register_image_id: text(FIELD_CAPS.register_image_id),
  recognize_face_image_id: z.string(),
  spot_image_id: z.string(),
  user_type: z.enum(USER_TYPES),
  media_device_info: z.looseObject({
    media_device_id: text(FIELD_CAPS.media_device_id),
    media_device_name: text(FIELD_CAPS.media_device_name),
    media_device_ip: text(FIELD_CAPS.media_device_ip),
    media_device_type: text(FIELD_CAPS.media_device_type),
  }),
  recognize_face_attr: z.record(z.string(), z.unknown()),
  event_id: z.string(),
});

export const SearchResponse = z.looseObject({
  events: z.array(Event),
  have_more: z.boolean(),
  total_time: z.number().meta({ description: 'seconds' }),
  endtimestamp: z.number().meta({ description: 'ms; inclusive: where the next call continues' }),
  records_examined: z.number().int().min(0),
  records_read: z
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'records fetched from storage (cache hits not counted)' }),
  timings: z.looseObject({ face_ms: z.number(), scan_ms: z.number() }),
  query_face: QueryFace.optional().meta({
    description: 'the searched face (of face_images_base64: the first photo); absent for event_id',
  }),
  query_faces: z
    .array(QueryFace)
    .optional()
    .meta({ description: "face_images_base64: each photo's face, in order" }),
});

export const DetectResponse = z.looseObject({
  faces: z.array(z.looseObject({ box: z.array(z.number()).length(4), score: z.number() })),
  query_face: QueryFace,
  fiqa_level: z.enum(FIQA_LEVELS as readonly ['no', 'low', 'middle', 'high']),
  fiqa_passed: z.boolean(),
  reason: z.string().optional(),
  total_time: z.number(),
});

export const IngestResult = z.looseObject({
  event_id: z.string(),
  status: z.enum(['created', 'duplicate']),
  timestamp: z.number().optional(),
  recognize_face_image_id: z.string().optional(),
  spot_image_id: z.string().optional(),
});

export const IngestBatchResponse = z.object({
  events: z.array(
    z.union([IngestResult, z.object({ event_id: z.string().optional(), error: ErrorBody.shape.error })]),
  ),
});

export const DeleteResponse = z.object({ event_id: z.string(), deleted: z.literal(true) });

const JOB_STATES = ['running', 'done', 'failed', 'cancelled'] as const;

export const SearchJobAccepted = z.object({
  job_id: z.string(),
  state: z.literal('running'),
  records_total: z
    .number()
    .int()
    .min(0)
    .meta({ description: 'records of the window (hour directory counts)' }),
});

export const SearchJobPage = z.object({
  job_id: z.string(),
  state: z.enum(JOB_STATES),
  records_examined: z
    .number()
    .int()
    .min(0)
    .meta({ description: 'records of the window covered so far (of records_total)' }),
  records_total: z.number().int().min(0),
  events: z.array(Event).meta({
    description:
      "a page of the matches, in the search's order; while running, those of the time already covered",
  }),
  next_page_token: z.string().nullable().meta({
    description: 'ask again with ?page_token= for the next page (or, while running, for what follows)',
  }),
  truncated: z.boolean().meta({ description: 'max_results was reached: matches beyond it were dropped' }),
});

export const SearchJobState = z.object({ job_id: z.string(), state: z.enum(JOB_STATES) });
