import type { JsonSchema } from '@agent-hub/protocol/catalog';
import { OPENAPI_PATH } from './openapi-document.ts';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The schema's name when it is a reference, else a short note of its shape. */
function shape(schema: JsonSchema | undefined): string {
  if (!schema) return '';
  const ref = schema.$ref;
  if (typeof ref === 'string') return escape(ref.split('/').pop()!);
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (props)
    return `{ ${Object.entries(props)
      .map(([k, v]) => `${escape(k)}${v.$ref ? `: ${shape(v)}` : ''}`)
      .join(', ')} }`;
  return escape(String(schema.type ?? (schema.anyOf || schema.oneOf ? 'one of several shapes' : 'any')));
}

/**
 * A plain HTML list of the routes of an OpenAPI document: a readable reference with no script and
 * nothing fetched from elsewhere; tools take the JSON document itself.
 */
export function referencePage(doc: JsonSchema): string {
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, JsonSchema>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const body = (op.requestBody as { content?: Record<string, { schema: JsonSchema }> } | undefined)?.content?.['application/json']
        ?.schema;
      const [status, ok] = Object.entries(op.responses as Record<string, { content?: Record<string, { schema: JsonSchema }> }>)[0]!;
      const params = ((op.parameters as JsonSchema[] | undefined) ?? []).map((p) => escape(String(p.name))).join(', ');
      rows.push(
        `<tr><td><code>${method.toUpperCase()} ${escape(path)}</code></td><td>${escape(String(op.summary ?? ''))}</td>` +
          `<td>${params}</td><td>${shape(body)}</td><td>${status} ${shape(ok.content?.['application/json']?.schema)}</td></tr>`,
      );
    }
  }
  const info = doc.info as { title: string; description: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}code{white-space:nowrap}</style>
</head><body><h1>${escape(info.title)}</h1><p>${escape(info.description)}</p>
<p>The machine-readable document: <a href="${OPENAPI_PATH}">${OPENAPI_PATH}</a> (OpenAPI 3.1; schemas under <code>components.schemas</code>).</p>
<table><thead><tr><th>route</th><th>what</th><th>parameters</th><th>body</th><th>answer</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}
