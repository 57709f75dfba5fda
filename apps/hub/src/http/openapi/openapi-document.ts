import { ERROR_CODES, PROTOCOL_VERSION, type ErrorCode } from '@agent-hub/protocol';
import { componentSchemas, payloads, schemaIn, type JsonSchema } from '@agent-hub/protocol/catalog';
import type { z } from 'zod';
import { requiredScope } from '../../auth/route-scopes.ts';
import { API_ROUTES, COMMON_ERRORS, type ApiRoute } from './api-routes.ts';

const SCHEMAS = '#/components/schemas/';
export const OPENAPI_PATH = '/api/openapi.json';
export const REFERENCE_PATH = '/api/reference';

/** `/api/sessions/:id` → `/api/sessions/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

/**
 * The operator HTTP API as an OpenAPI 3.1 document, built from the route table (./api-routes.ts)
 * and the protocol's payload catalogue: the same zod schemas the routes validate with.
 */
export function openApiDocument(): JsonSchema {
  const components = componentSchemas();
  components.ErrorResponse = { type: 'object', properties: { error: { $ref: `${SCHEMAS}ErrorBody` } }, required: ['error'] };
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of API_ROUTES) (paths[openApiPath(route.path)] ??= {})[route.method] = operation(route, components);
  paths[OPENAPI_PATH] = {
    get: {
      tags: ['hub'],
      summary: 'This document',
      operationId: 'getOpenApi',
      security: [],
      responses: { 200: { description: 'the OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  paths[REFERENCE_PATH] = {
    get: {
      tags: ['hub'],
      summary: 'A reference page of this API',
      operationId: 'getApiReference',
      security: [],
      responses: { 200: { description: 'an HTML page listing every route', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Agent Hub HTTP API',
      version: String(PROTOCOL_VERSION),
      description:
        'The operator API under /api. Every route but this document and its reference page needs `Authorization: Bearer <operator token>` of a credential whose scope covers the route (`x-required-scope`: read, operate or admin). ' +
        'Errors are `{ error: { code, message, details? } }` with the stable codes of docs/protocol.md. Generated from packages/protocol and apps/hub/src/http/openapi.',
    },
    servers: [{ url: 'http://localhost:3000', description: 'a local hub' }],
    security: [{ operatorToken: [] }],
    tags: ['hub', 'operators', 'agents', 'sessions', 'events', 'groups'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        operatorToken: { type: 'http', scheme: 'bearer', description: 'the operator token (HUB_TOKEN, or the one printed at first start)' },
      },
      schemas: components,
    },
  };
}

function operation(route: ApiRoute, components: Record<string, JsonSchema>): JsonSchema {
  const scope = requiredScope(route.method.toUpperCase(), route.path);
  const parameters: JsonSchema[] = [];
  for (const [name, schema] of Object.entries(route.params ?? {}))
    parameters.push({ name, in: 'path', required: true, schema: schemaIn(schema, SCHEMAS) });
  if (route.query) parameters.push(...queryParameters(route.query, components));
  if (route.ifMatch) {
    parameters.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'the version this change is based on (or `version` in the body)',
      schema: { type: 'string' },
    });
  }
  const out: JsonSchema = {
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    operationId: operationId(route),
    'x-required-scope': scope,
    ...(parameters.length ? { parameters } : {}),
  };
  if (route.body)
    out.requestBody = { required: !route.body.optional, content: { 'application/json': { schema: schemaIn(route.body.schema, SCHEMAS) } } };
  const ok: JsonSchema = { description: route.ok.description };
  if (route.ok.schema) ok.content = { 'application/json': { schema: schemaIn(route.ok.schema, SCHEMAS) } };
  if (route.ok.etag) ok.headers = { ETag: { description: 'the session version, quoted', schema: { type: 'string' } } };
  // A read credential may call every `read` route, so only the others can answer FORBIDDEN.
  const forbidden: ErrorCode[] = scope === 'read' ? [] : ['FORBIDDEN'];
  out.responses = { [route.ok.status]: ok, ...errorResponses([...COMMON_ERRORS, ...forbidden, ...(route.errors ?? [])]) };
  return out;
}

/** Each property of the query schema as a query parameter (they arrive as strings and are coerced). */
function queryParameters(query: z.ZodObject, components: Record<string, JsonSchema>): JsonSchema[] {
  const id = payloads.get(query)?.id;
  const schema = (id ? components[id] : schemaIn(query, SCHEMAS)) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: 'query', required: schema.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest };
  });
}

function errorResponses(codes: ErrorCode[]): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(ERROR_CODES[code], [...(byStatus.get(ERROR_CODES[code]) ?? []), code]);
  const out: Record<string, JsonSchema> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[status] = { description: list.join(', '), content: { 'application/json': { schema: { $ref: `${SCHEMAS}ErrorResponse` } } } };
  }
  return out;
}

/** `post /api/sessions/:id/messages` → `postSessionsIdMessages`: stable, unique, readable. */
function operationId(route: ApiRoute): string {
  const words = route.path
    .replace(/^\/api\//, '')
    .split(/[/:-]+/)
    .filter(Boolean);
  return route.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
