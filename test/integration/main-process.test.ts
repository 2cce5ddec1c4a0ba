import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdRequest, startService } from '../helpers/running-service.ts';
import { makeTx } from '../helpers/tx.ts';

function start(env: Record<string, string>) {
  // Embedded mode keeps its data (PGlite) under DATA_DIR: a fresh directory per run.
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
