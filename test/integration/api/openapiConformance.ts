import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../../functions/http/openapi';

/**
 * Checks requests and replies against the OpenAPI description (functions/http/openapi.ts) with ajv, a
 * JSON Schema 2020-12 validator: every reply must be one the description documents for its path, method
 * and status, and every request the service accepted (2xx) must be one the description allows.
 */
type Doc = {
  paths: Record<string, Record<string, Operation>>;
};
type Operation = {
  requestBody?: { content: Record<string, { schema?: object }> };
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
};

const doc = openApiDocument() as unknown as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
ajv.addSchema(doc as object, 'openapi');

const templates = Object.keys(doc.paths).map((p) => ({
  path: p,
  re: new RegExp(`^${p.replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** Whether the description has this operation (a method the API does not route is not in it). */
export function documented(method: string, url: string): boolean {
  const { pathname } = new URL(url);
  const t = templates.find((x) => x.re.test(pathname));
  return Boolean(t && doc.paths[t.path][method.toLowerCase()]);
}

function operation(pathname: string, method: string): Operation {
  const t = templates.find((x) => x.re.test(pathname));
  const op = t && doc.paths[t.path][method.toLowerCase()];
  if (!op) throw new Error(`the OpenAPI description has no ${method} ${pathname}`);
  return op;
}

const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
function validatorFor(schema: { $ref?: string } | undefined) {
  if (!schema) return undefined;
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    // Local references point into the document, which ajv holds as "openapi".
    v = ajv.compile(JSON.parse(key.replace(/"\$ref":"#/g, '"$ref":"openapi#')) as object);
    compiled.set(key, v);
  }
  return v;
}

function conform(schema: { $ref?: string } | undefined, value: unknown, what: string): void {
  const v = validatorFor(schema);
  if (v && !v(value)) {
    throw new Error(`${what} does not conform to the OpenAPI description: ${ajv.errorsText(v.errors)}`);
  }
}

/**
 * Throws unless a JSON exchange conforms: the reply's status is documented for the operation and its
 * body matches; a request answered 2xx matches the request schema.
 *
 * @example assertConforms('POST', url, body, 200, reply)
 */
export function assertConforms(
  method: string,
  url: string,
  requestBody: unknown,
  status: number,
  replyBody: unknown,
  contentType = 'application/json',
): void {
  const { pathname } = new URL(url);
  const op = operation(pathname, method);
  const response = op.responses[String(status)];
  if (!response)
    throw new Error(`${method} ${pathname} answered ${status}, which its description does not list`);
  const media = response.content?.[contentType.split(';')[0]];
  if (response.content && !media)
    throw new Error(`${method} ${pathname} ${status}: undocumented ${contentType}`);
  conform(media?.schema, replyBody, `the ${status} reply of ${method} ${pathname}`);
  if (status >= 200 && status < 300 && requestBody !== undefined) {
    conform(
      op.requestBody?.content['application/json']?.schema,
      requestBody,
      `the request ${method} ${pathname}`,
    );
  }
}
