import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { waitFor } from '../helpers/fakes.ts';
import { startService } from '../helpers/running-service.ts';
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
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  let reply = '';
  socket.on('data', (d: Buffer) => (reply += d.toString()));
  const socketEnded = once(socket, 'end');
  await once(socket, 'connect');
  const body = JSON.stringify(makeTx());
  socket.write(
    `POST /v1/score HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n` +
      body.slice(0, 10),
  );
  await waitFor(() => reply.startsWith('HTTP/1.1 100 Continue'), 60_000, 'the request is read');
  child.kill('SIGTERM');
  await svc.waitForOutput(/shutting down: finishing in-flight requests/, 60_000);
  socket.write(body.slice(10));
  await socketEnded;
  assert.match(
    reply,
    /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /,
    'the in-flight request is finished, not dropped',
  );
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
