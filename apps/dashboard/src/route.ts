import { useCallback, useEffect, useState } from 'react';

export type Tab = 'agents' | 'sessions' | 'groups' | 'events' | 'charts' | 'audit';

/** One view, and the entity it opens when the URL names one (`/agents/:id`, `/sessions/:id` …). */
export interface Route {
  tab: Tab;
  id: string | null;
}

const TABS: readonly Tab[] = ['agents', 'sessions', 'groups', 'events', 'charts', 'audit'];
// Views without a detail page: an id in their URL would be a stale link.
const LIST_ONLY: readonly Tab[] = ['events', 'charts', 'audit'];

export function parseRoute(pathname: string): Route {
  const [first = '', second] = pathname.split('/').filter(Boolean);
  if (!(TABS as readonly string[]).includes(first)) return { tab: 'agents', id: null };
  const tab = first as Tab;
  const id = second && !LIST_ONLY.includes(tab) ? safeDecode(second) : null;
  return { tab, id };
}

export function routePath({ tab, id }: Route): string {
  return id ? `/${tab}/${encodeURIComponent(id)}` : `/${tab}`;
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The current route from the address bar; `navigate` pushes a history entry, back/forward pop it. */
export function useRoute(): [Route, (next: Route) => void] {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));

  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const navigate = useCallback((next: Route) => {
    const path = routePath(next);
    if (path !== window.location.pathname) window.history.pushState(null, '', path + window.location.search);
    setRoute(next);
  }, []);

  return [route, navigate];
}

/** A left click without modifiers: the only one a link hands to the router (others open tabs, windows). */
export function isPlainClick(e: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; altKey: boolean }): boolean {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}
