import { createHash } from 'node:crypto';
import type { FSWatcher } from 'node:fs';
import { readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseModelArtifact } from '../../domain/anomaly/artifact.ts';
import type { TransactionModel } from '../../domain/anomaly/transaction-model.ts';
import { bindTransactionModel } from '../../domain/anomaly/transaction-model.ts';
import { RiskError } from '../../domain/errors.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { ModelSource } from '../../pipeline/model-source.ts';

/** Reads, validates and binds a model artifact; a RiskError lists every problem found. */
export function modelFromJson(text: string, path: string): TransactionModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RiskError('RISK_ERR_VALIDATION', `${path}: not valid JSON`, undefined, err);
  }
  const parsed = parseModelArtifact(json);
  if (!parsed.ok) {
    throw new RiskError(
      'RISK_ERR_VALIDATION',
      `invalid model artifact ${path}: ${parsed.errors[0]}`,
      parsed.errors.map((message) => ({ field: path, message })),
    );
  }
  try {
    return bindTransactionModel(parsed.model);
  } catch (err) {
    throw new RiskError(
      'RISK_ERR_VALIDATION',
      `model artifact ${path} does not fit this service: ${err instanceof Error ? err.message : String(err)}`,
      undefined,
      err,
    );
  }
}

export interface FileModelSourceOptions {
  path: string;
  logger: Logger;
  /** Watch the file and swap in a valid replacement (default true). */
  watch?: boolean;
  /** Quiet time after the last change event before reading the file (default 100 ms). */
  debounceMs?: number;
  /**
   * Told of every valid replacement after it is swapped in, with the file's text: in embedded
   * mode the file is the operator's way in, and its edits go on into the model registry.
   */
  onSwap?: (text: string, model: TransactionModel) => void;
}

export interface FileModelSource extends ModelSource {
  current(): TransactionModel;
  /**
   * Reads the file again now; swaps in its model when it is valid and differs from the active
   * one. Resolves to whether a swap happened; an invalid file is logged and leaves the model.
   */
  reload(): Promise<boolean>;
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The model in a JSON artifact file, loaded at start (an invalid or missing file fails the
 * start) and swapped when the file changes. The directory is watched rather than the file, so
 * that an atomic replacement by rename is seen too. An invalid replacement (a half-written
 * file, a bad artifact) is logged and ignored: the active model stays until a valid one lands.
 */
export function createFileModelSource(opts: FileModelSourceOptions): FileModelSource {
  const { path } = opts;
  const log = opts.logger.child({ component: 'model-source', path });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RiskError('RISK_ERR_VALIDATION', `cannot read model file ${path}`, undefined, err);
  }
  let active = modelFromJson(text, path);
  let activeDigest = digest(text);

  let running: Promise<boolean> | undefined;
  let again = false;
  async function load(): Promise<boolean> {
    let next: string;
    try {
      next = await readFile(path, 'utf8');
    } catch (err) {
      log.warn({ err }, 'model file unreadable; keeping the active model');
      return false;
    }
    const d = digest(next);
    if (d === activeDigest) return false;
    let model: TransactionModel;
    try {
      model = modelFromJson(next, path);
    } catch (err) {
      const details = err instanceof RiskError ? err.details?.map((x) => x.message) : undefined;
      log.error(
        { err: err instanceof Error ? err.message : String(err), details },
        'model file replaced by an invalid artifact; keeping the active model',
      );
      return false;
    }
    const previous = active.version;
    active = model;
    activeDigest = d;
    log.info({ from: previous, to: model.version }, 'anomaly model swapped');
    opts.onSwap?.(next, model);
    return true;
  }
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
    // Any change in the directory leads to a read: the file may be a symlink swapped from
    // elsewhere (a Kubernetes ConfigMap swaps its `..data` link, not the file's own name), and a
    // read of unchanged content ends at the digest comparison.
    watcher = watch(dirname(path), { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), debounce);
      timer.unref();
    });
    watcher.on('error', (err) => log.warn({ err }, 'watching the model file failed'));
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
