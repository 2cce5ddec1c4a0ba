import { mkdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RiskFlag } from '../../domain/flag.ts';
import type { FlagOutbox } from '../../pipeline/flag-outbox.ts';
import { createGroupCommit } from '../shared/group-commit.ts';

/**
 * Without KAFKA_BROKERS, flags are appended to a local NDJSON file (DESIGN.md §5): one
 * risk.flag.v1 message per line, the same JSON as on the topic. The file is the destination,
 * so an append is done once its line is written and fdatasync'ed (group commit, as for the
 * outbox). Opened with O_APPEND, so an operator may rotate it by truncation.
 */
export interface NdjsonFlagFile extends FlagOutbox {
  readonly path: string;
  close(): Promise<void>;
}

export async function openNdjsonFlagFile(path: string): Promise<NdjsonFlagFile> {
  mkdirSync(dirname(path), { recursive: true });
  const handle: FileHandle = await open(path, 'a');
  const commits = createGroupCommit<RiskFlag>(async (flags) => {
    const bytes = Buffer.from(flags.map((f) => `${JSON.stringify(f)}\n`).join(''), 'utf8');
    let written = 0;
    while (written < bytes.length) {
      written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
    }
    await handle.datasync();
  });
  return {
    path,
    append: (flag) => commits.submit(flag),
    async close() {
      await commits.idle();
      await handle.close();
    },
  };
}
