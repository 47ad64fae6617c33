import type { MiddlewareObj } from '@middy/core' with { 'resolution-mode': 'import' };
import { requirePersonRole } from '../core/roles';
import type { ApiEvent, ApiResult } from './apiGateway';

/**
 * Per-route roles for people. A request that came through the console API's Cognito authorizer carries
 * the person's claims, and their groups must include the route's (core/roles.ts): the authorizer only
 * proves who they are. A request without claims was authorized by API Gateway itself (IAM or an API key
 * limited by its usage plan), and the local server's requests carry none either.
 */
export function personRoles(): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    name: 'personRoles',
    before: ({ event }) => {
      const claims = (event.requestContext as { authorizer?: { claims?: Record<string, unknown> } })
        ?.authorizer?.claims;
      if (!claims) return;
      requirePersonRole(event.httpMethod, event.resource, claims['cognito:groups']);
    },
  };
}
