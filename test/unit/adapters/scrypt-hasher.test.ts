import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OWASP_SCRYPT,
  createScryptHasher,
  limitConcurrency,
} from '../../../src/adapters/crypto/scrypt-hasher.ts';

test('the default hash carries OWASP parameters and a fresh salt; verify accepts only the secret', async () => {
  const hasher = createScryptHasher();
  assert.deepEqual(OWASP_SCRYPT, { N: 32768, r: 8, p: 3 });
  const [one, two] = await Promise.all([
    hasher.hash('s3cret pass phrase'),
    hasher.hash('s3cret pass phrase'),
  ]);
  assert.match(one, /^scrypt\$N=32768,r=8,p=3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(one, two, 'a salt per secret');
  assert.equal(await hasher.verify('s3cret pass phrase', one), true);
  assert.equal(await hasher.verify('s3cret pass phrasE', one), false);
});

test('verify reads the parameters from the stored hash, and refuses damaged or hostile ones', async () => {
  const cheap = createScryptHasher({ N: 1024, r: 8, p: 1 });
  const stored = await cheap.hash('pw');
  // Another hasher (other defaults) still verifies it: parameters travel with the hash.
  assert.equal(await createScryptHasher().verify('pw', stored), true);
  for (const bad of [
    '',
    'plain',
    stored.replace('N=1024', 'N=1073741824'), // would allocate 1 TiB
    stored.slice(0, -4),
    `bcrypt${stored.slice(6)}`,
  ])
    assert.equal(await cheap.verify('pw', bad), false, bad);
});

test('a password is compared after Unicode normalisation (NFC)', async () => {
  const cheap = createScryptHasher({ N: 1024, r: 8, p: 1 });
  const stored = await cheap.hash('caf\u00e9 au lait!!');
  assert.equal(await cheap.verify('cafe\u0301 au lait!!', stored), true);
});

test('at most `concurrency` derivations run at once; the rest wait their turn and all finish', async () => {
  const hasher = createScryptHasher({ N: 1024, r: 8, p: 1 }, 1);
  const hashes = await Promise.all(['a', 'b', 'c', 'd'].map((s) => hasher.hash(`secret ${s}`)));
  const checks = await Promise.all(
    hashes.map((h, i) => hasher.verify(`secret ${'abcd'[i] ?? ''}`, h)),
  );
  assert.deepEqual(checks, [true, true, true, true]);
});

test('limitConcurrency runs at most `limit` at once, in order, and passes results and errors through', async () => {
  const limited = limitConcurrency(2);
  let running = 0;
  let most = 0;
  const order: number[] = [];
  const gates: Array<() => void> = [];
  const task = (i: number) =>
    limited(async () => {
      running += 1;
      most = Math.max(most, running);
      order.push(i);
      await new Promise<void>((resolve) => gates.push(resolve));
      running -= 1;
      if (i === 3) throw new Error('three');
      return i;
    });
  const all = Promise.allSettled([0, 1, 2, 3, 4].map(task));
  // Open the gates as tasks reach them, one at a time, until every task has run.
  while (order.length < 5 || gates.length > 0) {
    await new Promise((r) => setImmediate(r));
    gates.shift()?.();
  }
  const results = await all;
  assert.equal(most, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
    [0, 1, 2, 'three', 4],
  );
});
