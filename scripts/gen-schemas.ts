/**
 * Writes the protocol as data: one JSON Schema per payload (docs/schemas/<Name>.json), the HTTP
 * API as OpenAPI 3.1 (docs/openapi.json) and the sockets as AsyncAPI 3.0 (docs/asyncapi.json),
 * all from the protocol's zod schemas. Run after changing a schema, a route or a socket event:
 *
 *   node --import tsx scripts/gen-schemas.ts
 *
 * apps/hub/test/api-documents.test.ts fails while the committed files differ from what this makes.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { asyncApiDocument, jsonSchemas } from '../packages/protocol/src/catalog/index.ts';
import { openApiDocument } from '../apps/hub/src/http/openapi/index.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCHEMAS_DIR = 'docs/schemas';
export const GENERATE_COMMAND = 'node --import tsx scripts/gen-schemas.ts';

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

/** Every generated file, by path from the repository root, with its exact contents. */
export function generatedDocuments(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of Object.entries(jsonSchemas((id) => `${id}.json`))) files.set(`${SCHEMAS_DIR}/${name}.json`, json(schema));
  files.set('docs/openapi.json', json(openApiDocument()));
  files.set('docs/asyncapi.json', json(asyncApiDocument()));
  return files;
}

function main(): void {
  const files = generatedDocuments();
  mkdirSync(path.join(REPO_ROOT, SCHEMAS_DIR), { recursive: true });
  // A payload renamed or removed leaves no stale schema behind.
  for (const old of readdirSync(path.join(REPO_ROOT, SCHEMAS_DIR))) {
    if (old.endsWith('.json') && !files.has(`${SCHEMAS_DIR}/${old}`)) rmSync(path.join(REPO_ROOT, SCHEMAS_DIR, old));
  }
  for (const [file, text] of files) writeFileSync(path.join(REPO_ROOT, file), text);
  console.log(`wrote ${files.size} files (${files.size - 2} schemas in ${SCHEMAS_DIR}, docs/openapi.json, docs/asyncapi.json)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
