import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { RotationEntry } from '@agent-hub/protocol';
import { RotationHistory } from './RotationHistory.tsx';

const at = '2026-12-05T18:00:00.000Z';

describe('rotation history', () => {
  it("shows a followed handoff and a refused one with the hub's reason", () => {
    const history: RotationEntry[] = [
      {
        turn: 2,
        agentId: 'cy',
        outcome: 'granted',
        reason: 'handoff from ann',
        at,
        handoff: { from: 'ann', to: 'cy', accepted: true, reason: null },
      },
      {
        turn: 3,
        agentId: 'ann',
        outcome: 'granted',
        reason: 'round-robin',
        at,
        handoff: { from: 'cy', to: 'dee', accepted: false, reason: 'dee may not follow cy' },
      },
      { turn: 3, agentId: 'ann', outcome: 'spoken', reason: null, at },
    ];
    const html = renderToStaticMarkup(createElement(RotationHistory, { history }));
    expect(html).toContain('data-handoff="accepted"');
    expect(html).toContain('ann → cy');
    expect(html).toContain('data-handoff="refused"');
    expect(html).toContain('cy → dee refused');
    expect(html).toContain('<span class="muted" data-testid="handoff-reason">dee may not follow cy</span>');
  });
});
