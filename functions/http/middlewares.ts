import type { MiddlewareObj } from '@middy/core' with { 'resolution-mode': 'import' };
import { ContractError, StorageUnavailableError, invalidArgument, isContractError } from '../core/errors';
import { loggableError } from '../shared/loggableError';
import { logger } from '../shared/logger';
import { type ApiEvent, type ApiResult, bodyBytes, header, json } from './apiGateway';

type Middleware = MiddlewareObj<ApiEvent, ApiResult>;

/** UNSUPPORT_CONTENT_TYPE unless the body is declared application/json (parameters such as charset are fine). */
export function requireJson(): Middleware {
  return {
    name: 'requireJson',
    before: ({ event }) => {
      const type = (header(event, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/json') throw new ContractError('UNSUPPORT_CONTENT_TYPE');
    },
  };
}

/** Parses the body into event.json; an empty body is `{}`, anything unparsable INVALID_ARGUMENTS. */
export function parseJsonBody(): Middleware {
  return {
    name: 'parseJsonBody',
    before: ({ event }) => {
      const text = bodyBytes(event).toString('utf8');
      if (text.trim() === '') {
        event.json = {};
        return;
      }
      try {
        event.json = JSON.parse(text);
      } catch {
        throw invalidArgument('body', 'must be valid JSON');
      }
    },
  };
}

/**
 * The contract's error body for every failure: ContractErrors as they are, unreachable storage (the
 * adapters' StorageUnavailableError) as SERVICE_UNAVAILABLE, anything else INTERNAL_ERROR after it is
 * logged (its name, a scrubbed message and its frames, never the request). The access log (accessLog.ts)
 * records the outcome.
 */
export function contractErrors(): Middleware {
  return {
    name: 'contractErrors',
    onError: (request) => {
      const err = request.error;
      let mapped: ContractError;
      if (isContractError(err)) mapped = err;
      else if ((err as { name?: string } | undefined)?.name === 'AbortError') {
        // The caller went away (or the platform is about to end the call): nobody reads this answer.
        logger.info({ reason: (err as Error).message }, 'request abandoned');
        mapped = new ContractError('SERVICE_UNAVAILABLE');
      } else if (err instanceof StorageUnavailableError) {
        logger.warn({ err: loggableError(err) }, 'storage unavailable');
        mapped = new ContractError('SERVICE_UNAVAILABLE');
      } else {
        logger.error({ err: loggableError(err, true) }, 'unexpected failure');
        mapped = new ContractError('INTERNAL_ERROR');
      }
      request.response = json(mapped.status, mapped.toBody());
    },
  };
}
