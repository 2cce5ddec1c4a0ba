import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileFlagOutbox } from '../../../src/adapters/file/file-flag-outbox.ts';
import { openNdjsonFlagFile } from '../../../src/adapters/file/ndjson-flag-file.ts';
import type { RiskFlag } from '../../../src/domain/flag.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import type { OutboxStore } from '../../../src/pipeline/flag-outbox.ts';
import { makeFlag } from '../../helpers/fakes.ts';

const root = mkdtempSync(join(tmpdir(), 'risk-outbox-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `o${++dirs}`);

async function claimAll(outbox: OutboxStore, batch = 100): Promise<RiskFlag[]> {
  const out: RiskFlag[] = [];
  for (;;) {
    const c = await outbox.claim(batch);
    if (c === null) return out;
    out.push(...c.records);
    await c.ack();
  }
}

describe('file flag outbox', () => {
  test('appended flags are claimed in order, and forgotten once acknowledged', async () => {
    const outbox = await openFileFlagOutbox({ dir: freshDir(), logger: silentLogger });
    const flags = Array.from({ length: 25 }, () => makeFlag());
    await Promise.all(flags.map((f) => outbox.append(f)));
    assert.equal((await outbox.stats()).depth, 25);
    const first = await outbox.claim(10);
    assert.deepEqual(
      first?.records.map((f) => f.flag_id),
      flags.slice(0, 10).map((f) => f.flag_id),
    );
    await first?.ack();
    assert.equal((await outbox.stats()).depth, 15);
    assert.deepEqual(
      (await claimAll(outbox)).map((f) => f.flag_id),
      flags.slice(10).map((f) => f.flag_id),
    );
    assert.deepEqual(await outbox.stats(), { depth: 0, oldestAppendedAtMs: null });
    await outbox.close();
  });

  test('a released batch is claimed again', async () => {
    const outbox = await openFileFlagOutbox({ dir: freshDir(), logger: silentLogger });
    await outbox.append(makeFlag());
    const c = await outbox.claim(10);
    await c?.release(0, 'broker down');
    assert.equal((await outbox.claim(10))?.records.length, 1);
    await outbox.close();
  });

  test('a restart resumes after the last acknowledged flag; unacknowledged ones come again', async () => {
    const dir = freshDir();
    const flags = Array.from({ length: 10 }, () => makeFlag());
    const a = await openFileFlagOutbox({ dir, logger: silentLogger });
    for (const f of flags) await a.append(f);
    await (await a.claim(4))?.ack();
    await a.claim(3); // claimed, published perhaps, never acknowledged: a crash here
    await a.close();

    const b = await openFileFlagOutbox({ dir, logger: silentLogger });
    assert.equal((await b.stats()).depth, 6);
    assert.deepEqual(
      (await claimAll(b)).map((f) => f.flag_id),
      flags.slice(4).map((f) => f.flag_id),
    );
    await b.close();
  });

  test('a line torn by a crash is skipped; every complete line survives', async () => {
    const dir = freshDir();
    const flags = [makeFlag(), makeFlag()];
    const a = await openFileFlagOutbox({ dir, logger: silentLogger });
    for (const f of flags) await a.append(f);
    await a.close();
    const [segment] = readdirSync(dir).filter((n) => n.startsWith('seg-'));
    appendFileSync(join(dir, segment ?? ''), '{"appended_at":1,"flag":{"flag_id":"x"'); // no newline

    const b = await openFileFlagOutbox({ dir, logger: silentLogger });
    const later = makeFlag();
    await b.append(later);
    assert.deepEqual(
      (await claimAll(b)).map((f) => f.flag_id),
      [...flags, later].map((f) => f.flag_id),
    );
    await b.close();
  });

  test('segments rotate, and those wholly acknowledged are deleted', async () => {
    const dir = freshDir();
    const outbox = await openFileFlagOutbox({ dir, logger: silentLogger, segmentMaxBytes: 2048 });
    const flags = Array.from({ length: 40 }, () => makeFlag());
    for (const f of flags) await outbox.append(f);
    const segments = () => readdirSync(dir).filter((n) => n.startsWith('seg-')).length;
    assert.ok(segments() > 5, `rotated into ${segments()} segments`);
    assert.equal((await claimAll(outbox, 7)).length, 40);
    assert.equal(segments(), 1, 'only the segment being written remains');
    await outbox.close();
  });
});

describe('NDJSON flag file (no Kafka)', () => {
  test('each flag is one line of risk.flag.v1 JSON, appended durably', async () => {
    const path = join(freshDir(), 'flags.ndjson');
    const file = await openNdjsonFlagFile(path);
    const flags = Array.from({ length: 5 }, () => makeFlag());
    await Promise.all(flags.map((f) => file.append(f)));
    await file.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as RiskFlag),
      flags,
    );
  });
});

describe('file flag outbox ownership', () => {
  test('a directory locked by a live process is refused; a dead owner’s lock is taken over', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    // PID 1 always runs (and is never this test).
    writeFileSync(join(dir, 'LOCK'), '1');
    await assert.rejects(
      openFileFlagOutbox({ dir, logger: silentLogger }),
      /in use by process 1: give each instance its own DATA_DIR/,
    );
    writeFileSync(join(dir, 'LOCK'), '999999999');
    const outbox = await openFileFlagOutbox({ dir, logger: silentLogger });
    await outbox.close();
    assert.ok(!readdirSync(dir).includes('LOCK'), 'released on close');
  });
});
