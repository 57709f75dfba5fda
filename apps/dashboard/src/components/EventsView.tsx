import { useDeferredValue, useState } from 'react';
import { topicMatches, topicProblem, type DeadLetter, type HubEvent } from '@agent-hub/protocol';
import type { HubApi } from '../api.ts';
import type { ArrivalBucket } from '../throughput.ts';
import { DeadLetterList } from './DeadLetterList.tsx';
import { EventLog } from './EventLog.tsx';
import { EventStream } from './EventStream.tsx';
import { Throughput } from './Throughput.tsx';

interface Props {
  api: HubApi;
  events: HubEvent[];
  arrivals: ArrivalBucket[];
  deadLetters: DeadLetter[];
}

export function EventsView({ api, events, arrivals, deadLetters }: Props) {
  const [filter, setFilter] = useState('');
  const pattern = useDeferredValue(filter.trim());
  const problem = pattern === '' ? null : topicProblem(pattern, true);
  const shown = pattern === '' || problem ? events : events.filter((e) => topicMatches(pattern, e.topic));

  return (
    <div className="stack">
      <section className="panel">
        <div className="panel-head">
          <h2>Event stream</h2>
          <Throughput arrivals={arrivals} />
        </div>
        <div className="filter">
          <label htmlFor="topic-filter">Topic filter</label>
          <input
            id="topic-filter"
            placeholder="e.g. orders:#, agent:*"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            aria-invalid={problem !== null}
            data-testid="topic-filter"
          />
          {problem && <span className="form-error">{problem}; showing all events</span>}
          {!problem && pattern && (
            <span className="muted">
              {shown.length} of {events.length} recent events
            </span>
          )}
        </div>
        <EventStream events={shown} />
      </section>
      <section className="panel">
        <h2>Event log</h2>
        <EventLog api={api} />
      </section>
      <section className="panel">
        <h2>Dead letters</h2>
        <DeadLetterList api={api} deadLetters={deadLetters} />
      </section>
    </div>
  );
}
