import { mkdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RiskFlag } from '../../domain/flag.ts';
import type { Outbox, Publisher } from '../../pipeline/flag-outbox.ts';
import { createGroupCommit } from '../shared/group-commit.ts';

/**
 * Without KAFKA_BROKERS, flags are appended to a local NDJSON file (DESIGN.md §5): one
 * risk.flag.v1 message per line, the same JSON as on the topic; case events likewise go to
 * their own file (risk.case-event.v1). The file is the destination, so an append is done once
 * its line is written and fdatasync'ed (group commit, as for the outbox). Opened with
 * O_APPEND, so an operator may rotate it by truncation.
 */
export interface NdjsonFile<R> extends Outbox<R>, Publisher<R> {
  readonly path: string;
  close(): Promise<void>;
}

export type NdjsonFlagFile = NdjsonFile<RiskFlag>;

export async function openNdjsonFile<R>(path: string): Promise<NdjsonFile<R>> {
  mkdirSync(dirname(path), { recursive: true });
  const handle: FileHandle = await open(path, 'a');
  const commits = createGroupCommit<R>(async (records) => {
    const bytes = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
    let written = 0;
    while (written < bytes.length) {
      written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
    }
    await handle.datasync();
  });
  return {
    path,
    append: (record) => commits.submit(record),
    // As a relay's destination (case events): the records of one batch share one write.
    async publish(records) {
      await Promise.all(records.map((r) => commits.submit(r)));
    },
    async close() {
      await commits.idle();
      await handle.close();
    },
  };
}

export function openNdjsonFlagFile(path: string): Promise<NdjsonFlagFile> {
  return openNdjsonFile<RiskFlag>(path);
}
