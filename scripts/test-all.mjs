#!/usr/bin/env node
// The one test command (`pnpm test`): typecheck, lint (ESLint with types, Prettier), vitest (unit + integration), the Python client's
// pytest, dashboard build, Playwright e2e. Ends with one line of totals over every runner:
// `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, '.test-output');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) problems.push(`${label} exited ${r.status ?? r.signal}`);
  return r.status === 0;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

run('typecheck', 'pnpm', ['run', '--silent', 'typecheck']);
run('lint', 'pnpm', ['run', '--silent', 'lint']);

const vitestJson = path.join(out, 'vitest.json');
run('vitest', 'pnpm', ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
const v = readJson(vitestJson);
if (v) {
  totals.passed += v.numPassedTests ?? 0;
  totals.failed += v.numFailedTests ?? 0;
  totals.skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
  // A suite that fails to load has no tests to count; still a failure.
  const brokenFiles = (v.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0);
  totals.failed += brokenFiles.length;
} else problems.push('vitest wrote no report');

// The Python client (clients/python) against real hubs; counts come from its JUnit report.
const pytestXml = path.join(out, 'pytest.xml');
run('pytest', '/usr/bin/python3', ['-m', 'pytest', 'clients/python', '-q', `--junitxml=${pytestXml}`]);
const junit = existsSync(pytestXml) ? readFileSync(pytestXml, 'utf8') : null;
if (junit) {
  for (const [, attrs] of junit.matchAll(/<testsuite\b([^>]*)>/g)) {
    const n = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(attrs)?.[1] ?? 0);
    const failed = n('failures') + n('errors');
    totals.passed += n('tests') - failed - n('skipped');
    totals.failed += failed;
    totals.skipped += n('skipped');
  }
} else problems.push('pytest wrote no report');

const pwJson = path.join(out, 'playwright.json');
if (run('dashboard build', 'pnpm', ['--filter', '@agent-hub/dashboard', 'build'])) {
  run('playwright', 'pnpm', ['exec', 'playwright', 'test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson,
  });
  const p = existsSync(pwJson) ? readJson(pwJson) : null;
  if (p?.stats) {
    totals.passed += (p.stats.expected ?? 0) + (p.stats.flaky ?? 0);
    totals.failed += p.stats.unexpected ?? 0;
    totals.skipped += p.stats.skipped ?? 0;
  } else problems.push('playwright wrote no report');
}

console.log('');
for (const p of problems) console.log(`problem: ${p}`);
if (problems.length && totals.failed === 0) totals.failed = problems.length;
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(problems.length || totals.failed ? 1 : 0);
