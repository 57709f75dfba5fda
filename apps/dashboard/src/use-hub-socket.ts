import { useEffect, useReducer, useRef, useState, type Dispatch } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { MetricsSamplePush, OperatorClientEvents, OperatorServerEvents } from '@agent-hub/protocol';
import { UnauthorizedError, errorMessage, type HubApi } from './api.ts';
import { EventBatch } from './event-batch.ts';
import { EVENTS_MAX, hubReducer, initialHubState, type HubAction, type HubState } from './hub-state.ts';

type OperatorSocket = Socket<OperatorServerEvents, OperatorClientEvents>;

// A busy hub streams thousands of events a second; ten renders a second is plenty to watch them.
const EVENT_FLUSH_MS = 100;

export interface HubSocketState extends HubState {
  connected: boolean;
  /** The socket was up once and is now down: socket.io keeps retrying, the data shown is frozen. */
  reconnecting: boolean;
  /** When the last push arrived (ms), so a frozen view says how old it is. */
  lastUpdateAt: number | null;
  /** The latest chart sample of the node this socket is connected to (the charts view keeps the series). */
  metricsSample: MetricsSamplePush | null;
}

/**
 * Live hub state for the signed-in operator: one `/operators` socket, pushed updates only.
 * Sessions, dead letters and groups are seeded over REST on every (re)connect, since the socket only
 * carries changes (and its group snapshot leaves out ended groups).
 */
export function useHubSocket(token: string, api: HubApi, onUnauthorized: () => void): HubSocketState {
  const [state, dispatch] = useReducer(hubReducer, initialHubState);
  const [connected, setConnected] = useState(false);
  const [everConnected, setEverConnected] = useState(false);
  const [lastUpdateAt, setLastUpdateAt] = useState<number | null>(null);
  const [metricsSample, setMetricsSample] = useState<MetricsSamplePush | null>(null);
  // Every push moves this; state only copies it on disconnect, so a busy stream does not re-render.
  const lastPushRef = useRef<number | null>(null);
  const onUnauthorizedRef = useRef(onUnauthorized);

  useEffect(() => {
    onUnauthorizedRef.current = onUnauthorized;
  }, [onUnauthorized]);

  useEffect(() => {
    const socket: OperatorSocket = io('/operators', { auth: { token } });
    const batch = new EventBatch(
      (events, count) => dispatch({ type: 'events:received', events, count, at: Date.now() }),
      EVENT_FLUSH_MS,
      EVENTS_MAX,
    );

    socket.on('connect', () => {
      setConnected(true);
      setEverConnected(true);
      lastPushRef.current = Date.now();
      seedFromRest(api, dispatch);
    });
    socket.on('disconnect', () => {
      setConnected(false);
      setLastUpdateAt(lastPushRef.current);
    });
    socket.onAny(() => {
      lastPushRef.current = Date.now();
    });
    socket.on('connect_error', (err) => {
      setConnected(false);
      if (isUnauthenticated(err)) onUnauthorizedRef.current();
    });

    socket.on('agents:snapshot', (agents) => dispatch({ type: 'agents:snapshot', agents }));
    socket.on('agent:update', (agent) => dispatch({ type: 'agent:update', agent }));
    socket.on('agent:removed', ({ id }) => dispatch({ type: 'agent:removed', id }));
    socket.on('health:transition', (transition) => dispatch({ type: 'health:transition', transition }));
    socket.on('hub:status', (status) => dispatch({ type: 'hub:status', status }));
    socket.on('session:update', (session) => dispatch({ type: 'session:update', session, at: Date.now() }));
    socket.on('session:removed', ({ id }) => dispatch({ type: 'session:removed', id, at: Date.now() }));
    socket.on('event:stream', (event) => batch.add(event));
    socket.on('deadletter:new', (deadLetter) => dispatch({ type: 'deadletter:new', deadLetter }));
    socket.on('deadletter:update', (deadLetter) => dispatch({ type: 'deadletter:update', deadLetter }));
    socket.on('group:update', (group) => dispatch({ type: 'group:update', group }));
    socket.on('metrics:sample', setMetricsSample);

    return () => {
      batch.close();
      socket.disconnect();
    };
  }, [token, api]);

  return { ...state, connected, reconnecting: everConnected && !connected, lastUpdateAt, metricsSample };
}

function seedFromRest(api: HubApi, dispatch: Dispatch<HubAction>): void {
  const requestedAt = Date.now();
  const reportFailure = (what: string) => (err: unknown) => {
    // A 401 has already signed the operator out; nothing to show.
    if (err instanceof UnauthorizedError) return;
    dispatch({ type: 'load:failed', message: `Could not load ${what}: ${errorMessage(err)}` });
  };
  api
    .listRecentTransitions()
    .then((transitions) => dispatch({ type: 'transitions:seed', transitions }))
    .catch(reportFailure('health history'));
  api
    .listSessions()
    .then((page) => dispatch({ type: 'sessions:seed', sessions: page.items, requestedAt }))
    .catch(reportFailure('sessions'));
  api
    .listDeadLetters()
    .then((deadLetters) => dispatch({ type: 'deadletters:seed', deadLetters }))
    .catch(reportFailure('dead letters'));
  api
    .listGroups()
    .then((groups) => dispatch({ type: 'groups:seed', groups }))
    .catch(reportFailure('groups'));
}

function isUnauthenticated(err: Error & { data?: unknown }): boolean {
  if (err.message === 'UNAUTHENTICATED') return true;
  const data = err.data as { code?: unknown } | undefined;
  return data?.code === 'UNAUTHENTICATED';
}
