// Payloads can be large; the row shows a preview and opens to the whole payload, pretty-printed.
const PREVIEW_CHARS = 120;

export function EventPayload({ payload }: { payload: unknown }) {
  const text = JSON.stringify(payload) ?? 'undefined';
  if (text.length <= PREVIEW_CHARS) return <code className="payload-inline">{text}</code>;
  return (
    <details className="payload" data-testid="event-payload">
      <summary className="mono">{`${text.slice(0, PREVIEW_CHARS)}…`}</summary>
      <pre className="payload-full">{JSON.stringify(payload, null, 2)}</pre>
    </details>
  );
}
