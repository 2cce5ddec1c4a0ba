import { mkdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RiskFlag } from '../../domain/flag.ts';
import type { ClaimedBatch, OutboxStats, OutboxStore } from '../../pipeline/flag-outbox.ts';
import type { Logger } from '../../pipeline/logger.ts';
import { createGroupCommit } from '../shared/group-commit.ts';

/**
 * The embedded-mode outbox: append-only NDJSON segment files under one directory, plus a
 * checkpoint saying how far the relay has had the broker acknowledge.
 *
 *   seg-0000000000000001.ndjson   {"appended_at": <ms>, "flag": {...}} per line
 *   checkpoint.json               {"segment": 1, "offset": 4096}
 *
 * An append is durable once its line is written and fdatasync'ed (concurrent appends share one
 * write and one sync: group commit). Each start writes a new segment, so a line torn by a
 * crash can only be the last line of an older segment, where the reader skips it; that line's
 * append never returned, so no answer depended on it. A write that fails also abandons its
 * segment for a new one, for the same reason. The checkpoint is replaced atomically (rename)
 * after each acknowledged batch; losing it to a crash only means sending a batch again, with
 * the same flag ids. Segments wholly behind the checkpoint are deleted.
 */
export interface FileFlagOutboxOptions {
  dir: string;
  logger: Logger;
  /** A segment this large is closed and the next one started. */
  segmentMaxBytes?: number;
}

interface Cursor {
  segment: number;
  offset: number;
}

interface Line {
  appended_at: number;
  flag: RiskFlag;
}

const SEGMENT = /^seg-(\d{16})\.ndjson$/;
const segmentName = (n: number) => `seg-${String(n).padStart(16, '0')}.ndjson`;
const READ_CHUNK = 256 * 1024;
const NEWLINE = 0x0a;

export async function openFileFlagOutbox(opts: FileFlagOutboxOptions): Promise<OutboxStore> {
  const { dir } = opts;
  const log = opts.logger.child({ component: 'file-outbox', dir });
  const segmentMaxBytes = opts.segmentMaxBytes ?? 16 * 1024 * 1024;
  mkdirSync(dir, { recursive: true });
  const releaseLock = await lockDir(dir);
  const checkpointPath = join(dir, 'checkpoint.json');

  const existing = (await readdir(dir))
    .map((n) => SEGMENT.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  let cursor = await readCheckpoint(checkpointPath, existing[0] ?? 1);
  let writeSegment = (existing.at(-1) ?? 0) + 1;
  if (cursor.segment > writeSegment) cursor = { segment: writeSegment, offset: 0 };
  let writeHandle: FileHandle = await createSegment(writeSegment);
  /** Bytes of the write segment known durable: the reader never reads past them. */
  let writeSize = 0;
  let broken: Error | undefined;
  let depth = await countLinesFrom(dir, cursor, existing);
  const listeners: Array<() => void> = [];
  if (depth > 0) log.info({ depth }, 'flags left in the outbox by an earlier run');

  async function createSegment(n: number): Promise<FileHandle> {
    const h = await open(join(dir, segmentName(n)), 'a');
    // The new file's directory entry must survive a power loss too, not just its data.
    await syncDir(dir);
    return h;
  }

  async function startNextSegment(): Promise<void> {
    const old = writeHandle;
    writeSegment += 1;
    writeHandle = await createSegment(writeSegment);
    writeSize = 0;
    await old.close().catch(() => undefined);
  }

  const commits = createGroupCommit<RiskFlag>(async (flags) => {
    if (broken !== undefined) throw broken;
    const now = Date.now();
    const text = flags.map((flag) => `${JSON.stringify({ appended_at: now, flag })}\n`).join('');
    const bytes = Buffer.from(text, 'utf8');
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await writeHandle.write(bytes, written, bytes.length - written);
        written += bytesWritten;
      }
      await writeHandle.datasync();
    } catch (err) {
      // Part of the batch may be on disk: never append after it (see above).
      await startNextSegment().catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw err;
    }
    writeSize += bytes.length;
    depth += flags.length;
    if (writeSize >= segmentMaxBytes) {
      await startNextSegment().catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
        log.error({ err: broken.message }, 'cannot start a new outbox segment');
      });
    }
    for (const l of listeners) l();
  });

  /**
   * Reads complete lines from `from` on, at most `max`, and says where the next read starts
   * and how many lines were passed over (unreadable ones included).
   */
  async function readFrom(
    from: Cursor,
    max: number,
  ): Promise<{ lines: Line[]; end: Cursor; passed: number }> {
    let at = { ...from };
    const lines: Line[] = [];
    let passed = 0;
    while (lines.length < max && at.segment <= writeSegment) {
      const path = join(dir, segmentName(at.segment));
      const isWriteSegment = at.segment === writeSegment;
      // -1 for a missing segment (deleted, or never created): passed over like an empty one.
      const limit = isWriteSegment ? writeSize : await sizeOf(path);
      if (at.offset >= limit) {
        if (isWriteSegment) break;
        at = { segment: at.segment + 1, offset: 0 };
        continue;
      }
      const chunk = await readLines(path, at.offset, limit);
      if (chunk.torn) {
        // Only an older segment can end mid-line: the write segment is read up to its last sync.
        log.warn({ segment: at.segment }, 'skipping a line torn by an earlier crash');
        at = { segment: at.segment + 1, offset: 0 };
        continue;
      }
      let consumed = 0;
      for (const raw of chunk.text) {
        if (lines.length >= max) break;
        consumed += Buffer.byteLength(raw, 'utf8') + 1;
        passed += 1;
        const parsed = parseLine(raw);
        if (parsed === null)
          log.warn({ segment: at.segment }, 'skipping an unreadable outbox line');
        else lines.push(parsed);
      }
      at = { segment: at.segment, offset: at.offset + consumed };
    }
    return { lines, end: at, passed };
  }

  async function saveCheckpoint(c: Cursor): Promise<void> {
    const tmp = `${checkpointPath}.tmp`;
    await writeFile(tmp, JSON.stringify(c));
    await rename(tmp, checkpointPath);
    // Segments wholly behind the checkpoint are done with.
    const done = (await readdir(dir))
      .map((n) => SEGMENT.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .filter((n) => n < c.segment);
    await Promise.all(done.map((n) => unlink(join(dir, segmentName(n))).catch(() => undefined)));
  }

  return {
    name: 'file',
    append: (flag) => commits.submit(flag),
    onAppend(listener) {
      listeners.push(listener);
    },
    async claim(max): Promise<ClaimedBatch | null> {
      const { lines, end, passed } = await readFrom(cursor, max);
      if (lines.length === 0) {
        if (end.segment !== cursor.segment || end.offset !== cursor.offset) {
          cursor = end;
          await saveCheckpoint(cursor);
        }
        return null;
      }
      return {
        records: lines.map((l) => l.flag),
        oldestAppendedAtMs: Math.min(...lines.map((l) => l.appended_at)),
        async ack() {
          cursor = end;
          depth = Math.max(0, depth - passed);
          await saveCheckpoint(end);
        },
        // The cursor has not moved: the next claim reads the same lines again.
        release: () => Promise.resolve(),
      };
    },
    async stats(): Promise<OutboxStats> {
      if (depth === 0) return { depth, oldestAppendedAtMs: null };
      const { lines } = await readFrom(cursor, 1);
      return { depth, oldestAppendedAtMs: lines[0]?.appended_at ?? null };
    },
    async close() {
      await commits.idle();
      await writeHandle.close().catch(() => undefined);
      await releaseLock();
    },
  };
}

/**
 * One process per outbox directory: two would write the same segment numbers and delete each
 * other's segments. The LOCK file holds the owner's pid; a lock left by a process that no
 * longer runs (a crash) is taken over, as is one bearing our own pid (a container restarted
 * with the same pid).
 */
async function lockDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  for (let attempt = 0; ; attempt++) {
    try {
      const h = await open(path, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      return () => unlink(path).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner))
      throw new Error(
        `the flag outbox ${dir} is in use by process ${owner}: give each instance its own DATA_DIR`,
      );
    await unlink(path).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseLine(raw: string): Line | null {
  try {
    const v = JSON.parse(raw) as Partial<Line>;
    if (typeof v.appended_at !== 'number' || typeof v.flag?.flag_id !== 'string') return null;
    return v as Line;
  } catch {
    return null;
  }
}

/**
 * The complete lines from `offset` on (a chunk's worth, more if one line is longer than a
 * chunk), or `torn` when the bytes up to `limit` hold no complete line.
 */
async function readLines(
  path: string,
  offset: number,
  limit: number,
): Promise<{ text: string[]; torn: boolean }> {
  const h = await open(path, 'r');
  try {
    let size = Math.min(READ_CHUNK, limit - offset);
    for (;;) {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await h.read(buf, 0, size, offset);
      const last = buf.subarray(0, bytesRead).lastIndexOf(NEWLINE);
      if (last >= 0) {
        return { text: buf.subarray(0, last).toString('utf8').split('\n'), torn: false };
      }
      if (offset + bytesRead >= limit) return { text: [], torn: true };
      size = Math.min(size * 2, limit - offset);
    }
  } finally {
    await h.close();
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

async function readCheckpoint(path: string, first: number): Promise<Cursor> {
  try {
    const c = JSON.parse(await readFile(path, 'utf8')) as Partial<Cursor>;
    if (typeof c.segment === 'number' && typeof c.offset === 'number')
      return { segment: c.segment, offset: c.offset };
  } catch {
    // No checkpoint yet (or unreadable: starting over only sends flags again).
  }
  return { segment: first, offset: 0 };
}

/** Lines from the cursor to the end of every segment: the outbox depth at start. */
async function countLinesFrom(dir: string, from: Cursor, segments: number[]): Promise<number> {
  let count = 0;
  for (const n of segments.filter((s) => s >= from.segment)) {
    const data = await readFile(join(dir, segmentName(n)));
    const start = n === from.segment ? from.offset : 0;
    for (let i = start; i < data.length; i++) if (data[i] === NEWLINE) count += 1;
  }
  return count;
}

async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the data itself is still synced.
  } finally {
    await h.close();
  }
}
