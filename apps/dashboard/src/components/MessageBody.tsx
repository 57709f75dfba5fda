import type { SessionMessage, ToolCall } from '@agent-hub/protocol';

/** A message's content and tool calls: text as text, other parts by type, calls as name(arguments). */
export function MessageBody({ message }: { message: SessionMessage }) {
  const { content, tool_calls: calls, tool_call_id: answers, name } = message;
  return (
    <>
      {answers !== undefined && (
        <div className="message-tool-result">
          result of <code>{name ? `${name} · ${answers}` : answers}</code>
        </div>
      )}
      {typeof content === 'string' && content !== '' && <pre className="message-content">{content}</pre>}
      {Array.isArray(content) &&
        content.map((part, i) =>
          typeof part.text === 'string' ? (
            <pre key={i} className="message-content">
              {part.text}
            </pre>
          ) : (
            <div key={i} className="message-part">
              [{part.type}]
            </div>
          ),
        )}
      {calls && calls.length > 0 && (
        <ul className="message-tool-calls">
          {calls.map((call) => (
            <li key={call.id}>
              <ToolCallLine call={call} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function ToolCallLine({ call }: { call: ToolCall }) {
  if (!call.function) return <code>{`${call.type} ${call.id}`}</code>;
  return (
    <>
      <span className="message-tool-call-label">calls</span> <code>{call.function.name}</code>
      <pre className="message-tool-arguments">{prettyArguments(call.function.arguments)}</pre>
      <span className="message-tool-call-id">id {call.id}</span>
    </>
  );
}

/** Arguments are JSON text from the model: indented when they parse, as written when not. */
function prettyArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
