// What one client can hold of the HTTP server: a request trickled in too slowly is cut off with
// a 408, broken framing gets a 400, both in the service's error shape; connections beyond the
// cap are refused. On a real listening server (raw sockets), not inject().
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { App } from '../../../src/app/build-app.ts';
import { buildTestApp } from '../../helpers/app.ts';

interface Exchange {
  /** Everything the server sent until it closed the connection. */
  received: string;
  closed: boolean;
}

/** Sends `raw`, then waits (at most `deadlineMs`) for the server to close the connection. */
function exchange(port: number, raw: string, deadlineMs = 20_000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed: false });
    }, deadlineMs);
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET') reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closed: true });
    });
    socket.write(raw);
  });
}

function errorBody(received: string): { code: string; retriable: boolean } {
  const json = received.slice(received.indexOf('\r\n\r\n') + 4);
  return (JSON.parse(json) as { error: { code: string; retriable: boolean } }).error;
}

/** An open keep-alive connection that has been answered once (so the server counts it). */
function openConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('data', () => resolve(socket));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

describe('HTTP limits', () => {
  let app: App;
  let port: number;
  before(async () => {
    app = await buildTestApp({ HTTP_REQUEST_TIMEOUT_MS: '500', HTTP_MAX_CONNECTIONS: '2' });
    await app.http.listen({ host: '127.0.0.1', port: 0 });
    const address = app.http.server.address();
    assert.ok(address !== null && typeof address === 'object');
    port = address.port;
  });
  after(() => app.close());

  test('a body that does not arrive within the request timeout gets a 408 and is closed', async () => {
    const r = await exchange(
      port,
      'POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"transacti',
    );
    assert.ok(r.closed, 'the server kept the connection');
    assert.match(r.received, /^HTTP\/1\.1 408 /);
    const err = errorBody(r.received);
    assert.equal(err.code, 'RISK_ERR_REQUEST_TIMEOUT');
    assert.equal(err.retriable, true);
  });

  test('Content-Length together with chunked transfer encoding is a 400 in our shape', async () => {
    const r = await exchange(
      port,
      'POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    assert.ok(r.closed);
    assert.match(r.received, /^HTTP\/1\.1 400 /);
    assert.equal(errorBody(r.received).code, 'RISK_ERR_BAD_REQUEST');
  });

  test('connections beyond HTTP_MAX_CONNECTIONS are refused until one ends', async () => {
    const held = [await openConnection(port), await openConnection(port)];
    try {
      const refused = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(refused.closed, 'a third connection was kept');
      assert.equal(refused.received, '', 'a third connection was answered');
      const one = held.pop();
      await new Promise<void>((resolve) => {
        one?.once('close', () => resolve());
        one?.destroy();
      });
      // The server learns of the close asynchronously: try until a connection is accepted.
      const deadline = Date.now() + 20_000;
      let answered = '';
      while (answered === '' && Date.now() < deadline) {
        answered = (
          await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        ).received;
      }
      assert.match(answered, /^HTTP\/1\.1 200 /);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
