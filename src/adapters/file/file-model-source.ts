import { parseModelArtifact } from '../../domain/anomaly/artifact.ts';
import type { TransactionModel } from '../../domain/anomaly/transaction-model.ts';
import { bindTransactionModel } from '../../domain/anomaly/transaction-model.ts';
import { RiskError } from '../../domain/errors.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { ModelSource } from '../../pipeline/model-source.ts';
import { createWatchedArtifact } from './watched-artifact-file.ts';

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

/**
 * The model in a JSON artifact file, loaded at start (an invalid or missing file fails the
 * start) and swapped when the file changes (watched-artifact-file.ts: the directory is watched,
 * so a replacement by rename or a swapped ConfigMap link is seen; an invalid replacement is
 * logged and the active model stays until a valid one lands).
 */
export function createFileModelSource(opts: FileModelSourceOptions): FileModelSource {
  return createWatchedArtifact({ ...opts, kind: 'model', parse: modelFromJson });
}
