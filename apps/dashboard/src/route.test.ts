import { describe, expect, it } from 'vitest';
import { parseRoute, routePath } from './route.ts';

describe('dashboard routes', () => {
  it('opens the agents view at the root and on unknown paths', () => {
    expect(parseRoute('/')).toEqual({ tab: 'agents', id: null });
    expect(parseRoute('/nowhere/x')).toEqual({ tab: 'agents', id: null });
  });

  it('reads a view and an entity id from the path', () => {
    expect(parseRoute('/agents/zz-gone')).toEqual({ tab: 'agents', id: 'zz-gone' });
    expect(parseRoute('/sessions/6f1c')).toEqual({ tab: 'sessions', id: '6f1c' });
    expect(parseRoute('/groups/g1/')).toEqual({ tab: 'groups', id: 'g1' });
  });

  it('ignores an id on the events and charts views, which have no detail page', () => {
    expect(parseRoute('/events/42')).toEqual({ tab: 'events', id: null });
    expect(parseRoute('/charts')).toEqual({ tab: 'charts', id: null });
    expect(parseRoute('/charts/x')).toEqual({ tab: 'charts', id: null });
    expect(parseRoute('/audit')).toEqual({ tab: 'audit', id: null });
    expect(parseRoute('/audit/x')).toEqual({ tab: 'audit', id: null });
  });

  it('round-trips ids that need encoding and survives a broken escape', () => {
    const route = { tab: 'agents', id: 'a b/c' } as const;
    expect(routePath(route)).toBe('/agents/a%20b%2Fc');
    expect(parseRoute(routePath(route))).toEqual(route);
    expect(parseRoute('/agents/%E0%A4%A')).toEqual({ tab: 'agents', id: null });
  });
});
