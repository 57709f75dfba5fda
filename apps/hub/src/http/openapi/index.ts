import { Hono } from 'hono';
import type { HttpEnv } from '../env.ts';
import { OPENAPI_PATH, REFERENCE_PATH, openApiDocument } from './openapi-document.ts';
import { referencePage } from './reference-page.ts';

export { API_ROUTES, COMMON_ERRORS, type ApiRoute } from './api-routes.ts';
export { OPENAPI_PATH, REFERENCE_PATH, openApiDocument, openApiPath } from './openapi-document.ts';

/**
 * `GET /api/openapi.json` and `GET /api/reference`, without the operator token: they describe the
 * API's shape and hold no data (like the dashboard's files), and tools fetch them without a secret.
 * Registered ahead of the authenticated `/api` routes, so they answer first.
 */
export function openApiRoutes(): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  let doc: ReturnType<typeof openApiDocument> | null = null;
  let page: string | null = null;
  // Built on first request, once: the document is the same for the life of the process.
  const document = () => (doc ??= openApiDocument());
  app.get(OPENAPI_PATH, (c) => c.json(document()));
  app.get(REFERENCE_PATH, (c) => c.html((page ??= referencePage(document()))));
  return app;
}
