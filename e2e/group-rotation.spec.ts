import { connectAgent, joinGroup, type AgentClient, type GroupParticipant } from '@agent-hub/sdk';
import { issueAgentToken, operatorRequest } from './support/hub-api.ts';
import { startHub, type HubProcess } from './support/hub-process.ts';
import { expect, test } from './support/fixtures.ts';

// Only the fields these tests read (e2e depends on the SDK, not on the protocol package).
interface GroupView {
  id: string;
  status: string;
  members: string[];
  turn: number;
  lastSpeakerId: string | null;
}

const MEMBERS = ['ann', 'ben', 'cat'];
// Long enough to watch and steer, short enough that the rotation visibly moves.
const ANSWER_AFTER_MS = 300;

let hub: HubProcess;
const agents: AgentClient[] = [];
const seats: GroupParticipant[] = [];

test.beforeAll(async () => {
  hub = await startHub();
});

test.afterEach(async () => {
  for (const seat of seats.splice(0)) seat.stop();
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

test.afterAll(async () => {
  await hub?.stop();
});

async function connect(agentId: string): Promise<AgentClient> {
  const token = await issueAgentToken(hub, agentId);
  const agent = await connectAgent({ url: hub.url, agentId, token, name: agentId });
  agents.push(agent);
  return agent;
}

/** Every turn is answered with a short line after a pause; a speak refused because of a pause is expected. */
async function takeSeat(agent: AgentClient, agentId: string, groupId: string): Promise<void> {
  const seat = await joinGroup(
    agent,
    groupId,
    async (turn) => {
      await new Promise((resolve) => setTimeout(resolve, ANSWER_AFTER_MS));
      return `${agentId} speaking on turn ${turn.turn}`;
    },
    { onError: () => {} },
  );
  seats.push(seat);
}

function seatAfter(members: string[], agentId: string): string {
  return members[(members.indexOf(agentId) + 1) % members.length]!;
}

test('shows the rotation live, and an operator pick made while paused speaks first on resume', async ({ page, openSignedIn }, testInfo) => {
  test.setTimeout(120_000);
  // Members must be registered (and healthy) before the group is created.
  const clients = await Promise.all(MEMBERS.map((id) => connect(id)));
  const group = await operatorRequest<GroupView>(hub, 'POST', '/groups', {
    members: MEMBERS,
    strategy: 'round-robin',
    maxTurns: 1000,
    turnTimeoutMs: 20_000,
    prompt: 'Take turns, please.',
  });
  await Promise.all(clients.map((c, i) => takeSeat(c, MEMBERS[i]!, group.id)));

  await openSignedIn(hub);
  await page.getByRole('tab', { name: /Groups/ }).click();
  await page.getByTestId(`group-row-${group.id}`).click();
  const detail = page.getByTestId('group-detail');
  await expect(detail.getByTestId('group-status')).toHaveText('running');

  // The rotation advances: entries pile up, each member speaks, the speaker changes.
  const entries = detail.getByTestId('rotation').getByTestId('rotation-entry');
  const spoken = (agentId: string) => entries.and(page.locator(`[data-outcome="spoken"][data-agent="${agentId}"]`));
  for (const id of MEMBERS) await expect(spoken(id).first()).toBeVisible({ timeout: 20_000 });
  const speaker = detail.getByTestId('current-speaker');
  await expect(speaker).toHaveText(/^(ann|ben|cat)$/, { timeout: 10_000 });
  const first = (await speaker.textContent())!;
  await expect(speaker).toHaveText(new RegExp(`^(?!${first}$)(ann|ben|cat)$`), { timeout: 10_000 });
  const countBefore = await entries.count();
  await expect.poll(() => entries.count(), { timeout: 10_000 }).toBeGreaterThan(countBefore);
  await expect(detail.getByTestId('group-conversation')).toContainText('speaking on turn');
  await page.screenshot({ path: testInfo.outputPath('group-rotation-running.png'), fullPage: true });

  // Pause: the outstanding turn is withdrawn and nobody holds the floor.
  await detail.getByRole('button', { name: 'Pause' }).click();
  await expect(detail.getByTestId('group-status')).toHaveText('paused');
  await expect(speaker).toHaveCount(0);

  // Round-robin would ask the seat after the last speaker; pick the one after that instead.
  const paused = await operatorRequest<GroupView>(hub, 'GET', `/groups/${group.id}`);
  expect(paused.status).toBe('paused');
  expect(paused.lastSpeakerId).not.toBeNull();
  const roundRobinNext = seatAfter(paused.members, paused.lastSpeakerId!);
  const picked = seatAfter(paused.members, roundRobinNext);
  await detail.getByLabel('Next speaker').selectOption(picked);
  await detail.getByTestId('pick-next').click();
  await expect(detail.getByTestId('group-notice')).toHaveText(`Picked ${picked}: applies when the group resumes`);
  await expect(detail.getByTestId('pending-pick')).toHaveText(picked);

  // An operator post takes no turn and shows up in the conversation.
  await detail.getByLabel('Post to group').fill('Operator: over to you, ' + picked);
  await detail.getByRole('button', { name: 'Post', exact: true }).click();
  await expect(detail.getByTestId('group-conversation')).toContainText('Operator: over to you, ' + picked);
  await page.screenshot({ path: testInfo.outputPath('group-rotation-paused-picked.png'), fullPage: true });

  // Resume: the pick is granted the next turn, and speaks it.
  await detail.getByRole('button', { name: 'Resume' }).click();
  await expect(detail.getByTestId('group-status')).toHaveText('running');
  const resumedTurn = String(paused.turn + 1);
  const nextSpoken = entries.and(page.locator(`[data-outcome="spoken"][data-turn="${resumedTurn}"]`));
  await expect(nextSpoken).toHaveAttribute('data-agent', picked, { timeout: 15_000 });
  await expect(entries.and(page.locator(`[data-outcome="granted"][data-turn="${resumedTurn}"]`))).toContainText('operator pick');
  await expect(detail.getByTestId('pending-pick')).toHaveText('—');
  await page.screenshot({ path: testInfo.outputPath('group-rotation-resumed.png'), fullPage: true });

  await detail.getByRole('button', { name: 'End group' }).click();
  await expect(detail.getByTestId('group-status')).toHaveText('ended');
  await expect(detail.getByRole('button', { name: 'Pause' })).toBeDisabled();
});

test("shows the hub's error code inline when an action loses a race", async ({ page, openSignedIn }) => {
  await Promise.all(['dan', 'eve'].map((id) => connect(id)));
  const group = await operatorRequest<GroupView>(hub, 'POST', '/groups', { members: ['dan', 'eve'], strategy: 'round-robin' });

  await openSignedIn(hub);
  await page.getByRole('tab', { name: /Groups/ }).click();
  await page.getByTestId(`group-row-${group.id}`).click();
  const detail = page.getByTestId('group-detail');
  await expect(detail.getByTestId('group-status')).toHaveText('running');

  // Another operator ends the group just before this pause reaches the hub, which refuses it.
  await page.route(`**/api/groups/${group.id}/pause`, async (route) => {
    await operatorRequest(hub, 'POST', `/groups/${group.id}/end`, { reason: 'ended elsewhere' });
    await route.continue();
  });
  await detail.getByRole('button', { name: 'Pause' }).click();
  await expect(detail.getByTestId('group-error')).toHaveText(/^GROUP_ENDED: /);
  await expect(detail.getByTestId('group-status')).toHaveText('ended');
  await expect(detail).toContainText('ended elsewhere');
});
