#!/usr/bin/env node
// Runs the test files (TypeScript, run as they are by Node's type stripping) with node's
// built-in test runner, in two groups:
//   unit/         pure code and in-process servers on ephemeral ports: files run two at a time
//                 (the machine has two cores), each in its own process;
//   integration/  the real Redis, PostgreSQL and Kafka of scripts/services.sh: one file at a
//                 time, so that files on the shared services do not compete for two cores.
// Every file has a deadline (--test-timeout applies to each file as a whole as well as to each
// test in it): a file that hangs is cancelled and fails the run instead of holding CI.
// Usage: node scripts/run-tests.mjs [unit|integration] [extra node --test flags...]
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const GROUPS = {
  unit: { concurrency: 2, timeoutMs: 180_000 },
  integration: { concurrency: 1, timeoutMs: 300_000 },
};

function list(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return list(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const [only, ...extra] = process.argv.slice(2);
if (only !== undefined && !(only in GROUPS)) {
  console.error(`unknown group ${only}: expected one of ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
// Each group's runner prints its own summary; a TAP copy of each is read back for one total.
const tapDir = mkdtempSync(join(tmpdir(), 'risk-tests-'));
const total = { pass: 0, fail: 0, cancelled: 0, skipped: 0 };
let status = 0;
for (const [group, { concurrency, timeoutMs }] of Object.entries(GROUPS)) {
  if (only !== undefined && only !== group) continue;
  const files = list(join('test', group)).sort();
  if (files.length === 0) {
    console.error(`no test files under test/${group}`);
    process.exit(1);
  }
  console.error(
    `# ${group}: ${files.length} files, ${concurrency} at a time, ${timeoutMs / 1000} s each at most`,
  );
  const args = [
    '--disable-warning=ExperimentalWarning',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${join(tapDir, `${group}.tap`)}`,
    ...extra,
    ...files,
  ];
  const res = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (res.status !== 0) status = res.status ?? 1;
  const tap = readFileSync(join(tapDir, `${group}.tap`), 'utf8');
  for (const key of Object.keys(total)) {
    const m = new RegExp(`^# ${key} (\\d+)$`, 'm').exec(tap);
    total[key] += m ? Number(m[1]) : 0;
  }
}
rmSync(tapDir, { recursive: true, force: true });
if (total.pass + total.fail === 0) status ||= 1;
console.log(
  `tests: ${total.pass} passed, ${total.fail + total.cancelled} failed, ${total.skipped} skipped`,
);
process.exit(status);
