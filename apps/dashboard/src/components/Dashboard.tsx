import { useCallback, useEffect, useMemo, useState } from 'react';
import type { OperatorIdentity } from '@agent-hub/protocol';
import { createHubApi } from '../api.ts';
import { useRoute, type Tab } from '../route.ts';
import { INVALID_TOKEN } from '../use-auth.ts';
import { useHubSocket } from '../use-hub-socket.ts';
import { IdentityContext } from '../permissions.ts';
import { AgentsView } from './AgentsView.tsx';
import { AuditView } from './AuditView.tsx';
import { ChartsView } from './ChartsView.tsx';
import { DegradedBanner } from './DegradedBanner.tsx';
import { EventsView } from './EventsView.tsx';
import { GroupsView } from './GroupsView.tsx';
import { Header } from './Header.tsx';
import { ReconnectingBanner } from './ReconnectingBanner.tsx';
import { SessionsView } from './SessionsView.tsx';
import { ShutdownBanner } from './ShutdownBanner.tsx';
import { StoreBanner } from './StoreBanner.tsx';
import { TabBar } from './TabBar.tsx';

interface Props {
  token: string;
  onSignOut(error?: string): void;
}

export function Dashboard({ token, onSignOut }: Props) {
  const [route, navigate] = useRoute();
  const rejected = useCallback(() => onSignOut(INVALID_TOKEN), [onSignOut]);
  const api = useMemo(() => createHubApi(token, rejected), [token, rejected]);
  const hub = useHubSocket(token, api, rejected);
  const [identity, setIdentity] = useState<OperatorIdentity | null>(null);
  // Errors other than a 401 (handled by the api) leave the dashboard view-only: the hub checks every call anyway.
  useEffect(() => void api.getMe().then(setIdentity, () => undefined), [api]);
  const status = hub.hubStatus;
  const open = (tab: Tab) => (id: string | null) => navigate({ tab, id });

  return (
    <IdentityContext.Provider value={identity}>
      <div className="app">
        <Header status={status} connected={hub.connected} identity={identity} onSignOut={() => onSignOut()} />
        {hub.reconnecting && <ReconnectingBanner lastUpdateAt={hub.lastUpdateAt} />}
        {/* The last status a stopped hub sent is stale: only a live connection's banners are shown. */}
        {hub.connected && status?.degraded && <DegradedBanner status={status} />}
        {hub.connected && status?.storeDegraded && <StoreBanner />}
        {hub.connected && status?.shuttingDown && <ShutdownBanner />}
        {hub.loadError && <div className="banner banner-error">{hub.loadError}</div>}
        <TabBar
          active={route.tab}
          onChange={(tab) => navigate({ tab, id: null })}
          counts={{
            agents: Object.keys(hub.agents).length,
            sessions: Object.keys(hub.sessions).length,
            groups: Object.keys(hub.groups).length,
          }}
        />
        <main className="content">
          {route.tab === 'agents' && (
            <AgentsView
              api={api}
              agents={hub.agents}
              transitions={hub.transitions}
              deadLetters={hub.deadLetters}
              selectedId={route.id}
              onSelect={open('agents')}
              onOpenSession={open('sessions')}
            />
          )}
          {route.tab === 'sessions' && (
            <SessionsView api={api} sessions={hub.sessions} loaded={hub.sessionsLoaded} selectedId={route.id} onSelect={open('sessions')} />
          )}
          {route.tab === 'groups' && (
            <GroupsView
              api={api}
              groups={hub.groups}
              loaded={hub.groupsLoaded}
              agents={hub.agents}
              sessions={hub.sessions}
              selectedId={route.id}
              onSelect={open('groups')}
            />
          )}
          {route.tab === 'events' && <EventsView api={api} events={hub.events} arrivals={hub.arrivals} deadLetters={hub.deadLetters} />}
          {route.tab === 'charts' && <ChartsView api={api} live={hub.metricsSample} />}
          {route.tab === 'audit' && <AuditView api={api} />}
        </main>
      </div>
    </IdentityContext.Provider>
  );
}
