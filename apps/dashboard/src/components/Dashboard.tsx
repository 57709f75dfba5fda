import { useCallback, useMemo, useState } from 'react';
import { createHubApi } from '../api.ts';
import { INVALID_TOKEN } from '../use-auth.ts';
import { useHubSocket } from '../use-hub-socket.ts';
import { AgentsView } from './AgentsView.tsx';
import { DegradedBanner } from './DegradedBanner.tsx';
import { EventsView } from './EventsView.tsx';
import { GroupsView } from './GroupsView.tsx';
import { Header } from './Header.tsx';
import { SessionsView } from './SessionsView.tsx';
import { ShutdownBanner } from './ShutdownBanner.tsx';
import { StoreBanner } from './StoreBanner.tsx';
import { TabBar, type Tab } from './TabBar.tsx';

interface Props {
  token: string;
  onSignOut(error?: string): void;
}

export function Dashboard({ token, onSignOut }: Props) {
  const [tab, setTab] = useState<Tab>('agents');
  const rejected = useCallback(() => onSignOut(INVALID_TOKEN), [onSignOut]);
  const api = useMemo(() => createHubApi(token, rejected), [token, rejected]);
  const hub = useHubSocket(token, api, rejected);
  const status = hub.hubStatus;

  return (
    <div className="app">
      <Header status={status} connected={hub.connected} onSignOut={() => onSignOut()} />
      {status?.degraded && <DegradedBanner status={status} />}
      {status?.storeDegraded && <StoreBanner />}
      {status?.shuttingDown && <ShutdownBanner />}
      {hub.loadError && <div className="banner banner-error">{hub.loadError}</div>}
      <TabBar
        active={tab}
        onChange={setTab}
        counts={{
          agents: Object.keys(hub.agents).length,
          sessions: Object.keys(hub.sessions).length,
          groups: Object.keys(hub.groups).length,
        }}
      />
      <main className="content">
        {tab === 'agents' && <AgentsView agents={hub.agents} transitions={hub.transitions} />}
        {tab === 'sessions' && <SessionsView api={api} sessions={hub.sessions} loaded={hub.sessionsLoaded} />}
        {tab === 'groups' && (
          <GroupsView api={api} groups={hub.groups} loaded={hub.groupsLoaded} agents={hub.agents} sessions={hub.sessions} />
        )}
        {tab === 'events' && <EventsView events={hub.events} arrivals={hub.arrivals} deadLetters={hub.deadLetters} />}
      </main>
    </div>
  );
}
