import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createFileModelSource,
  modelFromJson,
} from '../../../src/adapters/file/file-model-source.ts';
import { isRiskError } from '../../../src/domain/errors.ts';
import type { Logger } from '../../../src/pipeline/logger.ts';
import { SHIPPED_MODEL, modelDir, writeModelVersion } from '../../helpers/anomaly.ts';
import { waitFor } from '../../helpers/fakes.ts';
import { makeTx } from '../../helpers/tx.ts';

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

const { dir, remove } = modelDir();
after(remove);

describe('file model source', () => {
  test('loads the shipped model, which scores transactions within [0, 1]', async () => {
    const source = createFileModelSource({ path: SHIPPED_MODEL, logger: recordingLogger() });
    const model = source.current();
    assert.equal(model.version, 'tx-iforest-1.1.0');
    const s = model.score(makeTx(), { 'account.count_1m': 1, 'account.count_24h': 1 });
    assert.ok(s > 0 && s < 1);
    await source.close();
  });

  const startFailures: Array<[string, (path: string) => void, RegExp]> = [
    ['a missing file', () => undefined, /cannot read model file/],
    ['a file that is not JSON', (path) => writeFileSync(path, '{"format":'), /not valid JSON/],
  ];
  for (const [name, make, message] of startFailures) {
    test(`refuses to start on ${name}`, () => {
      const path = join(dir, `start-${name.replace(/\W+/g, '-')}.json`);
      make(path);
      assert.throws(
        () => createFileModelSource({ path, logger: recordingLogger(), watch: false }),
        (err: unknown) => isRiskError(err) && message.test(err.message),
      );
    });
  }

  test('refuses an artifact naming a feature the service cannot compute, naming it', () => {
    const path = join(dir, 'other-features.json');
    writeModelVersion(path, '9', (a) => {
      a.features = a.features.map((f) => (f === 'hour_of_day' ? 'minute_of_day' : f));
      a.training.features = a.training.features.map((f) =>
        f.name === 'hour_of_day' ? { ...f, name: 'minute_of_day' } : f,
      );
    });
    assert.throws(
      () => createFileModelSource({ path, logger: recordingLogger(), watch: false }),
      /does not fit this service: unknown feature "minute_of_day"/,
    );
  });

  test('an invalid artifact is refused with every problem listed', () => {
    assert.throws(
      () => modelFromJson(JSON.stringify({ format: 'risk-iforest/1', name: 'x' }), 'm.json'),
      (err: unknown) =>
        isRiskError(err) &&
        /invalid model artifact m\.json/.test(err.message) &&
        (err.details?.length ?? 0) > 3,
    );
  });

  test('a valid replacement swaps the model without a restart; an invalid one is ignored', async () => {
    const path = join(dir, 'live.json');
    copyFileSync(SHIPPED_MODEL, path);
    const logger = recordingLogger();
    const source = createFileModelSource({ path, logger, debounceMs: 20 });
    assert.equal(source.current().version, 'tx-iforest-1.1.0');

    writeModelVersion(path, '2.0.0');
    await waitFor(
      () => source.current().version === 'tx-iforest-2.0.0',
      30_000,
      '2.0.0 swapped in',
    );
    assert.ok(logger.lines.some((l) => l.msg === 'model swapped'));

    writeFileSync(path, '{"format": "risk-iforest/1", "trees": ');
    await waitFor(() => logger.lines.some((l) => l.level === 'error'), 30_000, 'error logged');
    assert.equal(source.current().version, 'tx-iforest-2.0.0', 'the active model stays');

    writeModelVersion(path, '3.0.0');
    await waitFor(
      () => source.current().version === 'tx-iforest-3.0.0',
      30_000,
      '3.0.0 swapped in',
    );
    await source.close();
  });

  test('reload() swaps only when the content changed', async () => {
    const path = join(dir, 'reload.json');
    copyFileSync(SHIPPED_MODEL, path);
    const source = createFileModelSource({ path, logger: recordingLogger(), watch: false });
    assert.equal(await source.reload(), false);
    writeModelVersion(path, '4.0.0');
    assert.equal(await source.reload(), true);
    assert.equal(source.current().version, 'tx-iforest-4.0.0');
    await source.close();
  });
});
