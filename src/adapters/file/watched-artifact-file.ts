import { createHash } from 'node:crypto';
import type { FSWatcher } from 'node:fs';
import { readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RiskError } from '../../domain/errors.ts';
import type { Logger } from '../../pipeline/logger.ts';

export interface WatchedArtifactOptions<T> {
  path: string;
  logger: Logger;
  /** What the file holds, for logs ("fraud model"). */
  kind: string;
  /** Reads and validates the file's text; throws a RiskError listing the problems. */
  parse: (text: string, path: string) => T;
  /** Watch the file and swap in a valid replacement (default true). */
  watch?: boolean;
  /** Quiet time after the last change event before reading the file (default 100 ms). */
  debounceMs?: number;
  /** Called with the new text after each swap (the model registry takes the edited file). */
  onSwap?: (text: string, value: T) => void;
}

export interface WatchedArtifact<T> {
  current(): T;
  /** Reads the file again now; resolves to whether a valid, different artifact was swapped in. */
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A JSON artifact file loaded at start (an invalid or missing file fails the start) and swapped
 * when it changes, the way file-model-source.ts does it for the anomaly model: the directory is
 * watched, so a replacement by rename or a swapped symlink (a Kubernetes ConfigMap) is seen; an
 * invalid replacement is logged and the active artifact stays.
 */
export function createWatchedArtifact<T extends { version: string }>(
  opts: WatchedArtifactOptions<T>,
): WatchedArtifact<T> {
  const { path, kind } = opts;
  const log = opts.logger.child({ component: `${kind.replaceAll(' ', '-')}-source`, path });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RiskError('RISK_ERR_VALIDATION', `cannot read ${kind} file ${path}`, undefined, err);
  }
  let active = opts.parse(text, path);
  let activeDigest = digest(text);

  async function load(): Promise<boolean> {
    let next: string;
    try {
      next = await readFile(path, 'utf8');
    } catch (err) {
      log.warn({ err }, `${kind} file unreadable; keeping the active one`);
      return false;
    }
    const d = digest(next);
    if (d === activeDigest) return false;
    let parsed: T;
    try {
      parsed = opts.parse(next, path);
    } catch (err) {
      const details = err instanceof RiskError ? err.details?.map((x) => x.message) : undefined;
      log.error(
        { err: err instanceof Error ? err.message : String(err), details },
        `${kind} file replaced by an invalid artifact; keeping the active one`,
      );
      return false;
    }
    log.info({ from: active.version, to: parsed.version }, `${kind} swapped`);
    active = parsed;
    activeDigest = d;
    opts.onSwap?.(next, parsed);
    return true;
  }
  let running: Promise<boolean> | undefined;
  let again = false;
  function reload(): Promise<boolean> {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      let swapped = false;
      do {
        again = false;
        swapped = (await load()) || swapped;
      } while (again);
      return swapped;
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (opts.watch !== false) {
    const debounce = opts.debounceMs ?? 100;
    watcher = watch(dirname(path), { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), debounce);
      timer.unref();
    });
    watcher.on('error', (err) => log.warn({ err }, `watching the ${kind} file failed`));
  }
  return {
    current: () => active,
    reload,
    async close() {
      clearTimeout(timer);
      watcher?.close();
      await running;
    },
  };
}
