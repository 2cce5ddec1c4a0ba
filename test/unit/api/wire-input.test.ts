import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { transactionToProto } from '../../../src/api/grpc/messages.ts';
import type { App } from '../../../src/app/build-app.ts';
import type { GrpcTestServer } from '../../helpers/grpc.ts';
import { riskErrorOf, startGrpcApp } from '../../helpers/grpc.ts';
import { makeTx } from '../../helpers/tx.ts';

/*
 * Requests that are wrong below the level of a schema: bytes that are not UTF-8, JSON with a
 * repeated name, a compressed body, a method the path does not have, garbage on the gRPC wire.
 * Each is a client error in the service's one error shape, never a 5xx and never a silent
 * reading of something else than what was sent.
 */

let door: GrpcTestServer & { app: App };
before(async () => {
  door = await startGrpcApp();
});
after(() => door.close());

interface ErrorBody {
  error: {
    code: string;
    message: string;
    retriable: boolean;
    details?: Array<{ field?: string; message: string }>;
  };
}

async function post(payload: string | Buffer, headers: Record<string, string> = {}) {
  const res = await door.app.http.inject({
    method: 'POST',
    url: '/v1/score',
    headers: { 'content-type': 'application/json', ...headers },
    payload,
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    text: res.body,
    json: () => res.json<ErrorBody>(),
  };
}

const validJson = (id: string) => JSON.stringify(makeTx({ transaction_id: id, account_id: id }));

describe('REST: the body below the schema', () => {
  test('invalid UTF-8 is a 400, not a U+FFFD that collides with another id', async () => {
    const text = validJson('wire-utf8-XX');
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf('XX');
    bytes[at] = 0xff; // never valid in UTF-8
    bytes[at + 1] = 0xfe;
    const res = await post(bytes);
    assert.equal(res.status, 400);
    assert.equal(res.json().error.code, 'RISK_ERR_BAD_JSON');
    assert.match(res.json().error.message, /UTF-8/);
    // The same text with real characters still scores.
    assert.equal((await post(validJson('wire-utf8-ok-ü'))).status, 200);
  });

  test('a repeated name is a 400 naming where, also when written with an escape', async () => {
    const tx = validJson('wire-dup');
    const top = await post(tx.replace('{', '{"amount":99999,'));
    assert.equal(top.status, 400);
    assert.equal(top.json().error.code, 'RISK_ERR_BAD_JSON');
    assert.deepEqual(top.json().error.details?.[0]?.field, '/amount');

    const nested = await post(
      tx.replace(/}$/, ',"attributes":{"tier":"gold","n":1,"\\u0074ier":"basic"}}'),
    );
    assert.equal(nested.status, 400);
    assert.equal(nested.json().error.details?.[0]?.field, '/attributes/tier');

    // The same name in two different objects is no repeat.
    const fine = await post(tx.replace(/}$/, ',"attributes":{"amount":1}}'));
    assert.equal(fine.status, 200, fine.text);
  });

  test('a repeated escaped name is found in the text, whatever JSON.parse made of it', async () => {
    // Node 24.21's JSON.parse, once it has seen an object with the names `"` and `\\`, reads
    // {"\"":"ab","\"":1} as {"\"":"ab","\\":1}: the repeat vanishes from the parsed value
    // (and the second name is wrong). The check reads the text, so it is refused anyway.
    const tx = validJson('wire-escaped');
    const primed = await post(tx.replace(/}$/, ',"attributes":{"\\"":"x","\\\\":1}}'));
    assert.equal(primed.status, 200, primed.text);
    const repeated = await post(
      validJson('wire-escaped-2').replace(/}$/, ',"attributes":{"\\"":"ab","\\"":1}}'),
    );
    assert.equal(repeated.status, 400, repeated.text);
    assert.equal(repeated.json().error.details?.[0]?.field, '/attributes/"');
  });

  test('Content-Encoding gzip is a 415 naming the encoding, not a JSON error', async () => {
    const res = await post(gzipSync(validJson('wire-gzip')), { 'content-encoding': 'gzip' });
    assert.equal(res.status, 415);
    assert.equal(res.json().error.code, 'RISK_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.match(res.json().error.message, /gzip/);
    const identity = await post(validJson('wire-identity'), { 'content-encoding': 'identity' });
    assert.equal(identity.status, 200);
  });

  test('a known path with another method is a 405 with Allow; an unknown path a 404', async () => {
    const del = await door.app.http.inject({ method: 'DELETE', url: '/v1/score' });
    assert.equal(del.statusCode, 405);
    assert.equal(del.headers.allow, 'POST');
    assert.equal(del.json<ErrorBody>().error.code, 'RISK_ERR_METHOD_NOT_ALLOWED');
    const version = await door.app.http.inject({ method: 'DELETE', url: '/v1/rules/versions/3' });
    assert.equal(version.statusCode, 405);
    assert.match(String(version.headers.allow), /GET/);
    const unknown = await door.app.http.inject({ method: 'GET', url: '/v1/nothing-here' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json<ErrorBody>().error.code, 'RISK_ERR_NOT_FOUND');
  });

  test("a URL the router cannot take is a 400 in the error shape, not fastify's", async () => {
    for (const url of ['/v1/rules/versions/%zz', `/v1/rules/versions/${'9'.repeat(3000)}`]) {
      const res = await door.app.http.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 400, url.slice(0, 40));
      assert.equal(res.json<ErrorBody>().error.code, 'RISK_ERR_VALIDATION');
      assert.ok(res.body.length < 500, 'the answer does not echo the URL');
    }
  });

  test('5,000 unknown fields get a short answer: 100 problems, the last counting the rest', async () => {
    const tx: Record<string, unknown> = {
      ...makeTx({ transaction_id: 'wire-many', account_id: 'wire-many' }),
    };
    for (let i = 0; i < 5000; i++) tx[`x${i}`] = 1;
    const res = await post(JSON.stringify(tx));
    assert.equal(res.status, 400);
    const { details } = res.json().error;
    assert.equal(details?.length, 100);
    assert.equal(details?.[0]?.field, '/x0');
    assert.match(details?.[99]?.message ?? '', /and 4901 more problems/);
    assert.ok(res.text.length < 10_000, `${res.text.length} bytes`);
  });
});

describe('gRPC: the wire below the message', () => {
  const { Writer } = protobuf;

  async function refusedWith(bytes: Buffer, field: string | RegExp) {
    await assert.rejects(door.client.scoreRaw(bytes), (e: unknown) => {
      const g = riskErrorOf(e);
      assert.equal(g.status, status.INVALID_ARGUMENT, g.message);
      assert.equal(g.code, 'RISK_ERR_VALIDATION');
      const got = g.details[0]?.field ?? '';
      if (typeof field === 'string') assert.equal(got, field);
      else assert.match(got, field);
      return true;
    });
  }

  test('garbage bytes are INVALID_ARGUMENT, not INTERNAL', async () => {
    await refusedWith(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]), '/');
  });

  test('a string field that is not UTF-8 is refused naming the field', async () => {
    const good = door.client.encode(
      transactionToProto(makeTx({ transaction_id: 'g-utf8', account_id: 'g-utf8' })),
    );
    // A second account_id (field 5) overrides the first on decoding: give it bad bytes.
    const bad = Writer.create()
      .uint32((5 << 3) | 2)
      .bytes(Buffer.from([0x61, 0xc3, 0x28]))
      .finish();
    await refusedWith(Buffer.concat([good, bad]), '/account_id');
  });

  test('an attribute named __proto__ is refused, as REST refuses it', async () => {
    const tx = makeTx({ transaction_id: 'g-proto', account_id: 'g-proto' });
    // An encoder would go through a JS object, where the key is the prototype: write the
    // map entry (key 1, value 2: AttributeValue with string_value 1) by hand.
    const value = Writer.create()
      .uint32((1 << 3) | 2)
      .string('x')
      .finish();
    const entry = Writer.create()
      .uint32((1 << 3) | 2)
      .string('__proto__')
      .uint32((2 << 3) | 2)
      .bytes(value)
      .finish();
    const attribute = Writer.create()
      .uint32((15 << 3) | 2)
      .bytes(entry)
      .finish();
    const bytes = Buffer.concat([door.client.encode(transactionToProto(tx)), attribute]);
    await refusedWith(bytes, '/attributes/__proto__');
    const rest = await post(JSON.stringify(tx).replace(/}$/, ',"attributes":{"__proto__":"x"}}'));
    assert.equal(rest.status, 400);
  });

  test('a good message still scores', async () => {
    const bytes = door.client.encode(
      transactionToProto(makeTx({ transaction_id: 'g-good', account_id: 'g-good' })),
    );
    assert.equal((await door.client.scoreRaw(bytes)).transaction_id, 'g-good');
  });
});

test('a request that arrives while the server closes is a 503 in the service error shape', async () => {
  const { buildTestApp } = await import('../../helpers/app.ts');
  const { connect } = await import('node:net');
  const app = await buildTestApp();
  await app.http.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.http.server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  await new Promise((resolve) => socket.once('connect', resolve));
  // The first request's body is only half sent, so the connection is busy (not idle) when the
  // close begins; the second request, pipelined behind it, arrives during the close.
  const body = validJson('wire-closing');
  const half = Math.floor(body.length / 2);
  const seen = new Promise((resolve) => app.http.server.once('request', resolve));
  socket.write(
    `POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
  );
  const { waitFor } = await import('../../helpers/fakes.ts');
  await seen;
  const closing = app.http.close();
  socket.write(`${body.slice(half)}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
  await waitFor(() => (received.match(/HTTP\/1\.1 /g) ?? []).length >= 2, 20_000, 'two answers');
  socket.destroy();
  await closing;
  await app.close();
  const [first = '', second = ''] = received.split(/(?=HTTP\/1\.1 )/);
  assert.match(first, /^HTTP\/1\.1 200/, 'the request in flight is answered');
  assert.match(second, /^HTTP\/1\.1 503/);
  const json = JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4)) as ErrorBody;
  assert.equal(json.error.code, 'RISK_ERR_UNAVAILABLE');
  assert.equal(json.error.retriable, true);
});
