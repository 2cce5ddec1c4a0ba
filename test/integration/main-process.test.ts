import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { startService } from '../helpers/running-service.ts';
import { makeTx } from '../helpers/tx.ts';

function start(env: Record<string, string>) {
  // Embedded mode keeps its data (SQLite) under DATA_DIR: a fresh directory per run.
  return startService({ DATA_DIR: mkdtempSync(join(tmpdir(), 'risk-main-')), ...env });
}

test('main serves on embedded defaults and shuts down cleanly on SIGTERM with a request in flight', async () => {
  const { child, url: base, output, exited } = await start({});
  const res = await fetch(`${base}/v1/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(makeTx()),
  });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { decision: string }).decision, 'approve');

  // A request whose body is still arriving when the signal comes: it must be answered.
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  const body = JSON.stringify(makeTx());
  socket.write(
    `POST /v1/score HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body.slice(0, 10)}`,
  );
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  let reply = '';
  socket.on('data', (d: Buffer) => (reply += d.toString()));
  socket.write(body.slice(10));
  await once(socket, 'end');
  assert.match(reply, /^HTTP\/1\.1 200/, 'the in-flight request is finished, not dropped');
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
