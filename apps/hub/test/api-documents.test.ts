import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATE_COMMAND, REPO_ROOT, SCHEMAS_DIR, generatedDocuments } from '../../../scripts/gen-schemas.ts';
import { createHttpApp } from '../src/http/app.ts';
import { API_ROUTES, OPENAPI_PATH, REFERENCE_PATH, openApiPath } from '../src/http/openapi/index.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';

type Json = Record<string, unknown>;

/** Every `$ref` in `value`, with where it was found. */
function refs(value: unknown, at = '#', out: Array<{ ref: string; at: string }> = []): Array<{ ref: string; at: string }> {
  if (Array.isArray(value)) value.forEach((v, i) => refs(v, `${at}/${i}`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push({ ref: v, at });
      else refs(v, `${at}/${k}`, out);
    }
  }
  return out;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined), doc);
}

const generated = generatedDocuments();

describe('the generated protocol documents', () => {
  it('match the committed files (regenerate them after changing a schema, route or socket event)', () => {
    const stale: string[] = [];
    for (const [file, text] of generated) {
      const full = path.join(REPO_ROOT, file);
      if (!existsSync(full) || readFileSync(full, 'utf8') !== text) stale.push(file);
    }
    const extra = readdirSync(path.join(REPO_ROOT, SCHEMAS_DIR)).filter((f) => !generated.has(`${SCHEMAS_DIR}/${f}`));
    const problems = [
      ...stale.map((f) => `${f} differs from what the schemas generate`),
      ...extra.map((f) => `${SCHEMAS_DIR}/${f} is no longer generated`),
    ];
    expect(
      problems,
      `The protocol documents are out of date. Run \`${GENERATE_COMMAND}\` and commit the result.\n  ${problems.join('\n  ')}\n`,
    ).toEqual([]);
  });

  it('resolve every $ref: in-document pointers, and sibling files in docs/schemas', () => {
    const broken: string[] = [];
    for (const [file, text] of generated) {
      const doc = JSON.parse(text) as unknown;
      for (const { ref, at } of refs(doc)) {
        const ok = ref.startsWith('#/') ? resolvePointer(doc, ref) !== undefined : generated.has(`${SCHEMAS_DIR}/${ref}`);
        if (!ok) broken.push(`${file} ${at}: ${ref}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('the OpenAPI document', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('describes exactly the /api routes the hub registers', () => {
    const app = createHttpApp(
      t.hub.ctx,
      t.hub.modules.flatMap((m) => (m.api ? [m.api] : [])),
    );
    const methods = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    const registered = new Set(
      app.routes
        .filter((r) => methods.has(r.method) && r.path.startsWith('/api/') && !r.path.includes('*'))
        .map((r) => `${r.method} ${openApiPath(r.path)}`),
    );
    const doc = JSON.parse(generated.get('docs/openapi.json')!) as { paths: Record<string, Json> };
    const described = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    expect(
      { undescribed: [...registered].filter((r) => !described.has(r)), unregistered: [...described].filter((r) => !registered.has(r)) },
      'add or remove the route in apps/hub/src/http/openapi/api-routes.ts',
    ).toEqual({
      undescribed: [],
      unregistered: [],
    });
  });

  it('is served at /api/openapi.json without the operator token, as committed; the rest of /api still needs it', async () => {
    const res = await t.api(OPENAPI_PATH, { auth: false });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs/openapi.json'), 'utf8')));
    const page = await t.api(REFERENCE_PATH, { auth: false });
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('POST /api/sessions/{id}/messages');
    expect((await t.api('/api/status', { auth: false })).status).toBe(401);
  });

  it('describes what the routes answer: real answers parse with their documented schemas', async () => {
    await t.api('/api/sessions', { method: 'POST', body: JSON.stringify({ members: ['doc-agent'], messages: [{ content: 'hello' }] }) });
    await t.api('/api/events', { method: 'POST', body: JSON.stringify({ topic: 'docs:check', payload: { n: 1 } }) });
    const agent = await t.agent('doc-agent');
    await agent.subscribe(['docs:#'], () => undefined);
    const plain = API_ROUTES.filter((r) => r.method === 'get' && r.ok.schema && !r.params);
    expect(plain.length).toBeGreaterThan(5);
    for (const route of [
      ...plain,
      ...API_ROUTES.filter((r) => r.path === '/api/agents/:id' || r.path === '/api/agents/:id/subscriptions'),
    ]) {
      const res = await t.api(route.path.replace(':id', 'doc-agent'));
      expect(res.status, `${route.method} ${route.path}`).toBe(route.ok.status);
      const parsed = route.ok.schema!.safeParse(await res.json());
      expect(parsed.error?.issues ?? [], `${route.method} ${route.path}`).toEqual([]);
    }
  });
});
