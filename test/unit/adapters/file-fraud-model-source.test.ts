import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileFraudModelSource } from '../../../src/adapters/file/file-fraud-model-source.ts';
import type { Logger } from '../../../src/pipeline/logger.ts';
import { waitFor } from '../../helpers/fakes.ts';

/** A logger that keeps what it was told. */
function recordingLogger(): Logger & { lines: Array<{ level: string; msg?: string }> } {
  const lines: Array<{ level: string; msg?: string }> = [];
  const logger = {
    lines,
    info: (_o: object, msg?: string) => void lines.push({ level: 'info', msg }),
    warn: (_o: object, msg?: string) => void lines.push({ level: 'warn', msg }),
    error: (_o: object, msg?: string) => void lines.push({ level: 'error', msg }),
    child: () => logger,
  };
  return logger;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/gbdt/parity.json', import.meta.url), 'utf8'),
) as { models: Array<{ artifact: Record<string, unknown> }> };
const dir = mkdtempSync(join(tmpdir(), 'risk-fraud-source-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes beside and renames over, as an operator replacing the model would. */
function put(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

describe('the FRAUD_MODEL_PATH file source', { timeout: 60_000 }, () => {
  test('a valid replacement is swapped in; an invalid one is logged and the model stays', async () => {
    const path = join(dir, 'fraud.json');
    const [first, second] = fixture.models.map((m) => JSON.stringify(m.artifact));
    put(path, first!);
    const log = recordingLogger();
    const source = createFileFraudModelSource({ path, logger: log, watch: false });
    try {
      assert.equal(source.current().version, 'parity-gbdt-1');
      put(path, second!);
      assert.equal(await source.reload(), true);
      assert.equal(source.current().version, 'parity-gbdt-zero-as-missing');
      put(path, '{"format": "risk-gbdt/1"');
      assert.equal(await source.reload(), false);
      assert.equal(source.current().version, 'parity-gbdt-zero-as-missing');
      assert.ok(log.lines.some((l) => l.level === 'error' && /invalid artifact/.test(l.msg ?? '')));
    } finally {
      await source.close();
    }
  });

  test('watched: a replaced file is picked up without a reload call', async () => {
    const path = join(dir, 'watched.json');
    const [first, second] = fixture.models.map((m) => JSON.stringify(m.artifact));
    put(path, first!);
    const source = createFileFraudModelSource({ path, logger: recordingLogger(), debounceMs: 20 });
    try {
      put(path, second!);
      await waitFor(
        () => source.current().version === 'parity-gbdt-zero-as-missing',
        10_000,
        'the replaced fraud model',
      );
    } finally {
      await source.close();
    }
  });
});
