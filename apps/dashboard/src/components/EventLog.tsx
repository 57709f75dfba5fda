import { useState, type FormEvent } from 'react';
import { PRIORITIES, topicProblem, type HubEvent, type Priority } from '@agent-hub/protocol';
import { errorWithCode, type EventQuery, type HubApi } from '../api.ts';
import { EventStream } from './EventStream.tsx';

// One screenful; the next page starts after the last offset shown.
const PAGE_SIZE = 50;

interface Filters {
  patterns: string;
  minPriority: Priority | '';
  from: string;
  to: string;
}

type Page =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; items: HubEvent[]; query: EventQuery; pageNo: number; starts: (number | undefined)[] };

/** The persisted event log (`GET /api/events`), oldest first, a page at a time. */
export function EventLog({ api }: { api: HubApi }) {
  const [filters, setFilters] = useState<Filters>({ patterns: '', minPriority: '', from: '', to: '' });
  const [page, setPage] = useState<Page>({ status: 'idle' });
  const problem = patternsProblem(filters.patterns);

  const load = (query: EventQuery, pageNo: number, starts: (number | undefined)[]) => {
    setPage({ status: 'loading' });
    api.queryEvents(query).then(
      (items) => setPage({ status: 'ready', items, query, pageNo, starts }),
      (err: unknown) => setPage({ status: 'error', message: errorWithCode(err) }),
    );
  };

  const search = (e: FormEvent) => {
    e.preventDefault();
    if (problem) return;
    load(toQuery(filters), 0, [undefined]);
  };

  const set = (key: keyof Filters) => (value: string) => setFilters((f) => ({ ...f, [key]: value }));
  const ready = page.status === 'ready' ? page : null;
  const last = ready?.items[ready.items.length - 1];

  return (
    <div>
      <form className="log-form" onSubmit={search} data-testid="event-log-form">
        <label>
          Topic patterns
          <input
            value={filters.patterns}
            placeholder="orders:#, agent:*"
            onChange={(e) => set('patterns')(e.target.value)}
            aria-invalid={problem !== null}
            data-testid="log-patterns"
          />
        </label>
        <label>
          Minimum priority
          <select value={filters.minPriority} onChange={(e) => set('minPriority')(e.target.value)} data-testid="log-priority">
            <option value="">any</option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" step="1" value={filters.from} onChange={(e) => set('from')(e.target.value)} data-testid="log-from" />
        </label>
        <label>
          To
          <input type="datetime-local" step="1" value={filters.to} onChange={(e) => set('to')(e.target.value)} data-testid="log-to" />
        </label>
        <button type="submit" disabled={problem !== null || page.status === 'loading'}>
          Search log
        </button>
      </form>
      {problem && <p className="form-error">{problem}</p>}
      {page.status === 'loading' && <p className="empty">Loading…</p>}
      {page.status === 'error' && <p className="form-error">Could not load events: {page.message}</p>}
      {ready && (
        <>
          <EventStream events={ready.items} testId="event-log" emptyText="No events match" />
          <div className="pager">
            <button
              type="button"
              className="secondary"
              disabled={ready.pageNo === 0}
              onClick={() => load({ ...ready.query, afterOffset: ready.starts[ready.pageNo - 1] }, ready.pageNo - 1, ready.starts)}
            >
              Previous
            </button>
            <span className="muted" data-testid="log-page">
              Page {ready.pageNo + 1}
              {ready.items.length > 0 && ` · offsets ${ready.items[0]!.offset}–${last!.offset}`}
            </span>
            <button
              type="button"
              className="secondary"
              disabled={ready.items.length < PAGE_SIZE || !last}
              onClick={() =>
                last &&
                load({ ...ready.query, afterOffset: last.offset }, ready.pageNo + 1, [
                  ...ready.starts.slice(0, ready.pageNo + 1),
                  last.offset,
                ])
              }
            >
              Next
            </button>
          </div>
        </>
      )}
    </div>
  );
}

function toQuery(f: Filters): EventQuery {
  return {
    limit: PAGE_SIZE,
    patterns: splitPatterns(f.patterns).join(',') || undefined,
    minPriority: f.minPriority || undefined,
    // datetime-local is the browser's local time; the API wants an instant.
    from: f.from ? new Date(f.from).toISOString() : undefined,
    to: f.to ? new Date(f.to).toISOString() : undefined,
  };
}

function splitPatterns(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

function patternsProblem(text: string): string | null {
  for (const p of splitPatterns(text)) {
    const problem = topicProblem(p, true);
    if (problem) return `"${p}": ${problem}`;
  }
  return null;
}
