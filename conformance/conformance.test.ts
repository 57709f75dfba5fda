import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HUB_READY_MS, HubHarness } from './hub-harness.ts';
import { runWithPython } from './python-runner.ts';
import { runWithSdk } from './run-ts.ts';
import { loadScenario, type Scenario, type StepReport } from './scenario.ts';

/**
 * One scenario (conformance/scenario.json), two clients, one real hub: the TypeScript SDK in this
 * process and the Python client as a child process each run every step, including the hub's
 * graceful restart and its kill, through the same harness. A client in another language proves
 * itself the same way (docs/protocol.md, "Conformance").
 */
let harness: HubHarness;
beforeAll(async () => {
  harness = await HubHarness.start();
}, HUB_READY_MS + 30_000);
beforeEach(async () => harness.ensureRunning(), HUB_READY_MS + 30_000);
afterAll(async () => harness?.stop());

// Two hub starts each, plus everything else, on a machine that may be busy.
const RUN_MS = 2 * HUB_READY_MS + 120_000;
const runId = (language: string) => `${language}-${randomBytes(3).toString('hex')}`;

/** Null when every step passed, else which step failed (or where the run stopped) and why. */
function failure(scenario: Scenario, reports: StepReport[], extra = ''): string | null {
  const failed = reports.find((r) => !r.ok);
  if (failed) return `step ${failed.index} (${failed.op}) failed: ${failed.error}${extra}`;
  if (reports.length < scenario.steps.length) {
    const next = scenario.steps[reports.length]!;
    return `the run stopped before step ${reports.length} (${next.op})${extra}`;
  }
  return null;
}

describe('the conformance scenario', () => {
  it(
    'passes every step with the TypeScript SDK',
    async () => {
      const scenario = loadScenario(runId('ts'));
      const reports = await runWithSdk(scenario, { url: harness.url, operatorToken: harness.operatorToken, harness });
      expect(failure(scenario, reports, `\nhub output:\n${harness.hub.output}`)).toBeNull();
    },
    RUN_MS,
  );

  it(
    'passes every step with the Python client',
    async () => {
      const run = runId('py');
      const scenario = loadScenario(run);
      const result = await runWithPython({ url: harness.url, operatorToken: harness.operatorToken, run, harness });
      expect(failure(scenario, result.reports, `\nrunner output:\n${result.output}\nhub output:\n${harness.hub.output}`)).toBeNull();
      expect(result.exitCode).toBe(0);
    },
    RUN_MS,
  );
});
