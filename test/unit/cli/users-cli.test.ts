/**
 * `npm run users` as a process on the embedded SQLite store: add, list, disable, token, with
 * clear errors; the service built over the same DATA_DIR accepts and refuses what it wrote.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestApp } from '../../helpers/app.ts';
import { call } from '../../helpers/users.ts';

let dataDir: string;
before(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'risk-users-cli-'));
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

function users(
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', 'src/cli/users.ts', ...args],
      {
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

test('add, list, disable and enable round trip; errors are one line without a stack', async () => {
  const add = await users(
    ['add', 'alice', '--role', 'publisher', '--password-stdin'],
    'a long enough password\n',
  );
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /added alice \(publisher\)/);
  assert.equal((await users(['add', 'bob', '--role', 'viewer'])).code, 0);

  const list = await users(['list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const rows = list.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    rows.map((u) => [u.username, u.role, u.disabled, u.has_password]),
    [
      ['alice', 'publisher', false, true],
      ['bob', 'viewer', false, false],
    ],
  );

  assert.equal((await users(['disable', 'bob'])).code, 0);
  assert.match((await users(['list'])).stdout, /^bob +viewer +disabled/m);
  assert.equal((await users(['enable', 'bob'])).code, 0);
  assert.match((await users(['list'])).stdout, /^bob +viewer +active/m);
  assert.equal((await users(['role', 'bob', 'analyst'])).code, 0);
  assert.match((await users(['list'])).stdout, /^bob +analyst/m);

  for (const [args, message, code] of [
    [['add', 'alice', '--role', 'viewer'], /users: user alice already exists/, 1],
    [['add', 'Eve', '--role', 'viewer'], /users: \/username: must be/, 1],
    [
      ['add', 'eve', '--role', 'boss'],
      /the role must be one of viewer, analyst, publisher, admin/,
      2,
    ],
    [['disable', 'nobody'], /users: no user nobody/, 1],
    [['frob'], /unknown command frob/, 2],
    [['add', 'eve', '--role', 'viewer', '--password-stdin'], /\/password: must be at least 12/, 1],
  ] as const) {
    const r = await users([...args], 'short\n');
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const help = await users(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: npm run users/);
});

test('a token issued by the CLI signs in to the service on the same DATA_DIR until disabled', async () => {
  assert.equal((await users(['add', 'tok', '--role', 'viewer'])).code, 0);
  const issued = await users(['token', 'tok']);
  assert.equal(issued.code, 0, issued.stderr);
  const token = /^(rsk_\S+)$/m.exec(issued.stdout)?.[1];
  assert.ok(token, issued.stdout);
  const app = await buildTestApp({ EMBEDDED_STORE: 'sqlite', DATA_DIR: dataDir });
  try {
    assert.equal((await call(app, 'GET', '/v1/rules', { as: token })).status, 200);
    assert.equal((await users(['disable', 'tok'])).code, 0);
    // Another process disabled the user: refused at once, the cache notwithstanding.
    const refused = await call(app, 'GET', '/v1/rules', { as: token });
    assert.equal(refused.status, 403);
    assert.match(String((refused.body.error as { message: string }).message), /disabled/);
  } finally {
    await app.close();
  }
});
