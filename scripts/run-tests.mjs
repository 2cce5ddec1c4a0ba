#!/usr/bin/env node
// Runs the compiled test files with node's built-in test runner. Node 20 does not expand
// globs for --test, so the files are listed here; the same command works on Node 20 and 24.
// Usage: node scripts/run-tests.mjs [unit|integration]   (default: all)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/test';
const only = process.argv[2];

function list(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return list(p);
    return name.endsWith('.test.js') ? [p] : [];
  });
}

const files = list(root)
  .filter((f) => !only || f.startsWith(join(root, only)))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${root}${only ? '/' + only : ''}`);
  process.exit(1);
}
// One file at a time keeps integration tests on the shared local services from competing
// for the machine's two cores; each file still isolates itself with its own prefix/topic.
const args = ['--enable-source-maps', '--test', '--test-concurrency=1', ...files];
const res = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(res.status ?? 1);
