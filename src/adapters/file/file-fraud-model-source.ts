import { parseGbdtArtifact } from '../../domain/gbdt/artifact.ts';
import type { GbdtFraudModel } from '../../domain/gbdt/fraud-model.ts';
import { bindGbdtModel } from '../../domain/gbdt/fraud-model.ts';
import { RiskError } from '../../domain/errors.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { FraudModelSource } from '../../pipeline/fraud-model-source.ts';
import { createWatchedArtifact } from './watched-artifact-file.ts';

/** Reads, validates and binds a risk-gbdt/1 artifact; a RiskError lists every problem found. */
export function fraudModelFromJson(text: string, path: string): GbdtFraudModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RiskError('RISK_ERR_VALIDATION', `${path}: not valid JSON`, undefined, err);
  }
  const parsed = parseGbdtArtifact(json);
  if (!parsed.ok) {
    throw new RiskError(
      'RISK_ERR_VALIDATION',
      `invalid fraud model artifact ${path}: ${parsed.errors[0]}`,
      parsed.errors.map((message) => ({ field: path, message })),
    );
  }
  try {
    return bindGbdtModel(parsed.model);
  } catch (err) {
    throw new RiskError(
      'RISK_ERR_VALIDATION',
      `fraud model artifact ${path} does not fit this service: ${err instanceof Error ? err.message : String(err)}`,
      undefined,
      err,
    );
  }
}

export interface FileFraudModelSourceOptions {
  path: string;
  logger: Logger;
  watch?: boolean;
  debounceMs?: number;
  onSwap?: (text: string, model: GbdtFraudModel) => void;
}

export interface FileFraudModelSource extends FraudModelSource {
  current(): GbdtFraudModel;
  reload(): Promise<boolean>;
}

/** The fraud model in a JSON artifact file (FRAUD_MODEL_PATH), watched and swapped on change. */
export function createFileFraudModelSource(
  opts: FileFraudModelSourceOptions,
): FileFraudModelSource {
  return createWatchedArtifact({ ...opts, kind: 'fraud model', parse: fraudModelFromJson });
}
