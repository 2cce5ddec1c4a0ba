import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdRequest, startService } from '../helpers/running-service.ts';
import { makeTx } from '../helpers/tx.ts';

function start(env: Record<string, string>) {
  // Embedded mode keeps its data (SQLite) under DATA_DIR: a fresh directory per run.
  return startService({ DATA_DIR: mkdtempSync(join(tmpdir(), 'risk-main-')), ...env });
}

test('main serves on embedded defaults and shuts down cleanly on SIGTERM with a request in flight', async () => {
  const svc = await start({});
  const { child, url: base, output, exited } = svc;
  const res = await fetch(`${base}/v1/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(makeTx()),
  });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { decision: string }).decision, 'approve');

  // A request whose body is still arriving when the signal comes: it must be answered. The
  // headers ask for 100-continue, so the server's interim answer proves it has the request in
  // hand (the request is in flight) before the signal is sent; the log line proves the signal
  // was handled before the rest of the body is sent.
  const held = holdRequest(base, makeTx());
  await held.read;
  child.kill('SIGTERM');
  await svc.waitForOutput(/shutting down: finishing in-flight requests/, 60_000);
  const answer = await held.finish();
  assert.equal(answer.status, 200, 'the in-flight request is finished, not dropped');
  assert.equal((answer.body as { decision: string }).decision, 'approve');
  assert.equal(await exited, 0, output());
  assert.match(output(), /shut down cleanly/);
});

test('main refuses bad configuration naming the variable', async () => {
  await assert.rejects(start({ HTTP_PORT: 'eighty' }), (err: Error) => {
    assert.match(err.message, /exited with 78 before listening/);
    assert.match(err.message, /HTTP_PORT/);
    return true;
  });
});

test('main on embedded defaults keeps a published version across a restart (SQLite under DATA_DIR)', async () => {
  const token = 'main-process-token-0123456789';
  const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'risk-main-')), ADMIN_TOKEN: token };
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const rule = {
    name: 'main-restart-rule',
    conditions: { all: [{ fact: 'amount', operator: 'equal', value: 4242 }] },
    event: { type: 'risk', params: { score: 7 } },
  };

  const first = await startService(env);
  assert.match(
    first.output(),
    /"path":"[^"]*risk\.sqlite","ms":[\d.]+/,
    'one line names the file and the time',
  );
  const put = await fetch(`${first.url}/v1/rules`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({ rules: [rule], author: 'alice', comment: 'before restart' }),
  });
  assert.equal(put.status, 201, await put.text());
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.output());

  const second = await startService(env);
  try {
    const res = await fetch(`${second.url}/v1/rules`, { headers: auth });
    const body = (await res.json()) as { version: number; rules: Array<{ name: string }> };
    assert.equal(body.version, 2, second.output());
    assert.deepEqual(
      body.rules.map((r) => r.name),
      ['main-restart-rule'],
    );
    const scored = await fetch(`${second.url}/v1/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(makeTx({ amount: 4242 })),
    });
    assert.equal(((await scored.json()) as { ruleset_version: string }).ruleset_version, '2');
  } finally {
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.output());
  }
});

test('main refuses to start on a DATA_DIR that is not a directory, saying why', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'risk-main-')), 'a-file');
  writeFileSync(file, '');
  await assert.rejects(startService({ DATA_DIR: file }), (err: Error) => {
    assert.match(err.message, /exited with 1 before listening/);
    assert.match(err.message, /failed to start: cannot open the embedded database .*a-file/);
    return true;
  });
});
