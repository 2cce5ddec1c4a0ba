import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileFlagOutbox } from '../../../src/adapters/file/file-flag-outbox.ts';
import { createMemoryWindowStore } from '../../../src/adapters/memory/memory-window-store.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import { outboxConformance, windowStoreConformance } from '../../conformance/emit-stores.ts';

const root = mkdtempSync(join(tmpdir(), 'risk-conf-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

outboxConformance('file', () =>
  openFileFlagOutbox({ dir: join(root, `o${++n}`), logger: silentLogger }),
);
windowStoreConformance('memory', () => Promise.resolve(createMemoryWindowStore()));
