import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SCENARIO_PATH, type Harness, type HarnessRequest, type StepReport } from './scenario.ts';

const PYTHON = '/usr/bin/python3';
const RUNNER = fileURLToPath(new URL('../clients/python/conformance_runner.py', import.meta.url));
const PREFIX = '@conformance ';

type RunnerLine = { type: 'harness'; request: HarnessRequest } | ({ type: 'step' } & StepReport) | { type: 'done'; ok: boolean };

export interface PythonRunResult {
  reports: StepReport[];
  exitCode: number | null;
  /** Everything else the runner printed (stdout and stderr), for a failure's message. */
  output: string;
}

/**
 * Runs clients/python/conformance_runner.py as a child process and serves its harness requests:
 * it prints `@conformance {"type":"harness",...}` and gets one JSON line back on stdin.
 */
export function runWithPython(opts: { url: string; operatorToken: string; run: string; harness: Harness }): Promise<PythonRunResult> {
  const child = spawn(PYTHON, [RUNNER, '--scenario', SCENARIO_PATH, '--run', opts.run, '--url', opts.url], {
    env: { ...process.env, AGENT_HUB_OPERATOR_TOKEN: opts.operatorToken },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const reports: StepReport[] = [];
  let output = '';
  child.stderr.on('data', (d) => (output = (output + d).slice(-20_000)));
  // A runner that died mid-request closes its stdin: the exit code and output tell why, not an EPIPE.
  child.stdin.on('error', () => undefined);
  // Requests are answered one at a time, in order: the runner waits for each answer.
  let answering: Promise<void> = Promise.resolve();
  const answer = (request: HarnessRequest) => {
    answering = answering.then(async () => {
      const reply = await opts.harness.perform(request).then(
        (data) => ({ ok: true, data: data ?? null }),
        (err: unknown) => ({ ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
      if (child.stdin.writable) child.stdin.write(JSON.stringify(reply) + '\n');
    });
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith(PREFIX)) {
      output = (output + line + '\n').slice(-20_000);
      return;
    }
    const message = JSON.parse(line.slice(PREFIX.length)) as RunnerLine;
    if (message.type === 'harness') answer(message.request);
    else if (message.type === 'step')
      reports.push({ index: message.index, op: message.op, ok: message.ok, ms: message.ms, error: message.error });
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => {
      void answering.then(() => resolve({ reports, exitCode, output }));
    });
  });
}
