import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OWASP_SCRYPT, createScryptHasher } from '../../../src/adapters/crypto/scrypt-hasher.ts';

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
