import { ContractError } from './errors';

/**
 * The console's people and what each group may do. Groups add up: a person in searcher and
 * administrator may find an event and erase it. Machine clients are not people: API Gateway authorizes
 * them (IAM or a narrow API key) and they carry no group claims.
 */
export const ROLES = ['searcher', 'operator', 'administrator'] as const;
export type Role = (typeof ROLES)[number];

/** The group each route needs, by `<METHOD> <resource>` as API Gateway names them. */
export const ROUTE_ROLES: Readonly<Record<string, Role>> = {
  'POST /sophon/v2/face/searchbyimage': 'searcher',
  'POST /sophon/v2/face/detect': 'searcher',
  // Search jobs: a search over a long window, read and stopped by whoever may search.
  'POST /sophon/v2/face/searchjobs': 'searcher',
  'GET /sophon/v2/face/searchjobs/{id}': 'searcher',
  'DELETE /sophon/v2/face/searchjobs/{id}': 'searcher',
  'GET /sophon/v2/face/images/{id}': 'searcher',
  'HEAD /sophon/v2/face/images/{id}': 'searcher',
  'POST /sophon/v2/face/events': 'operator',
  'DELETE /sophon/v2/face/events/{id}': 'administrator',
  // The API's description: anyone allowed to search may read how.
  'GET /sophon/v2/openapi.json': 'searcher',
  'HEAD /sophon/v2/openapi.json': 'searcher',
};

/**
 * The groups of a `cognito:groups` claim as API Gateway passes it to a REST proxy: a string, either
 * comma-separated or a bracketed list (`[a b]`), or an array in tests.
 */
export function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((g): g is string => typeof g === 'string');
  if (typeof claim !== 'string') return [];
  return claim.split(/[\s,[\]]+/).filter(Boolean);
}

/**
 * Refuses (FORBIDDEN) a person whose groups do not include the route's. An unknown route is refused
 * too: a new route must be given its group here before people can call it.
 */
export function requirePersonRole(method: string, resource: string, groupsClaim: unknown): void {
  const role = ROUTE_ROLES[`${method} ${resource}`];
  if (!role) throw new ContractError('FORBIDDEN', 'this route is not open to console users');
  if (!groupsOf(groupsClaim).includes(role)) {
    throw new ContractError('FORBIDDEN', `this needs the ${role} group`);
  }
}
