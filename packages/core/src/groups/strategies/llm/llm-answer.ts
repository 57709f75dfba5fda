import type { Candidate } from '../speaker-selector.ts';

/** The text of the first choice of a chat completions answer, or null. */
export function answerText(body: unknown): string | null {
  const content = (body as { choices?: Array<{ message?: { content?: unknown } }> } | null)?.choices?.[0]?.message?.content;
  return typeof content === 'string' ? content : null;
}

/**
 * The candidate the answer names: a JSON `{"speaker": id}` (structured output) first, then the
 * answer as plain text — a server that ignored `response_format` still gets its answer read.
 */
export function speakerIn(answer: string, candidates: readonly Candidate[]): string | null {
  const structured = jsonSpeaker(answer);
  if (structured !== null) return isCandidate(structured, candidates) ? structured : null;
  return idIn(answer, candidates);
}

function jsonSpeaker(answer: string): string | null {
  const text = answer.trim();
  if (!text.startsWith('{')) return null;
  try {
    const speaker = (JSON.parse(text) as { speaker?: unknown } | null)?.speaker;
    return typeof speaker === 'string' ? speaker : null;
  } catch {
    return null;
  }
}

/** Plain text must be exactly a candidate's id; quotes, backticks and a trailing full stop are forgiven. */
function idIn(answer: string, candidates: readonly Candidate[]): string | null {
  const cleaned = answer
    .trim()
    .replace(/^["'`]+|["'`.]+$/g, '')
    .trim();
  return isCandidate(cleaned, candidates) ? cleaned : null;
}

const isCandidate = (id: string, candidates: readonly Candidate[]) => candidates.some((c) => c.id === id);
