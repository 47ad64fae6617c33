import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** API Gateway REST proxy event, plus the JSON body once parseJsonBody has read it. */
export type ApiEvent = APIGatewayProxyEvent & { json?: unknown };
export type ApiResult = APIGatewayProxyResult;

/** A header's value whatever its case (API Gateway keeps the client's casing). */
export function header(event: Pick<ApiEvent, 'headers'>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {}))
    if (k.toLowerCase() === want) return v ?? undefined;
  return undefined;
}

/** The raw body bytes, decoding API Gateway's base64 for binary media types. */
export function bodyBytes(event: Pick<ApiEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The contract's error code in an error body (`{"error":{"code":...}}`), if it has one. */
export function errorCode(body: string | undefined): string | undefined {
  try {
    const code = (JSON.parse(body ?? '') as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

export function json(statusCode: number, body: unknown): ApiResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: JSON.stringify(body),
  };
}

export function binary(bytes: Buffer, contentType: string, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode: 200,
    headers: { 'Content-Type': contentType, ...headers },
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  };
}
