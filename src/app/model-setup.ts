import { readFileSync } from 'node:fs';
import type { Logger as PinoLogger } from 'pino';
import {
  createFileFraudModelSource,
  fraudModelFromJson,
} from '../adapters/file/file-fraud-model-source.ts';
import { createFileModelSource, modelFromJson } from '../adapters/file/file-model-source.ts';
import { RiskError } from '../domain/errors.ts';
import type { LiveModels } from '../pipeline/live-models.ts';
import { createLiveModels } from '../pipeline/live-models.ts';
import type { ModelRegistryStore } from '../pipeline/model-registry-store.ts';
import type { ModelRegistry } from '../pipeline/model-registry.ts';
import { artifactText, createModelRegistry, sha256Hex } from '../pipeline/model-registry.ts';
import type { Config } from './config.ts';
import type { ModelRoles } from './model-roles.ts';
import { MODEL_ROLES } from './model-roles.ts';
import { modelPath } from './model-source.ts';
import type { StoreMode } from './stores.ts';

/** The audit's actor for versions taken from MODEL_PATH. */
export const MODEL_FILE_ACTOR = 'model-file';

export interface ModelsSetup {
  live: LiveModels<ModelRoles>;
  registry: ModelRegistry;
  /** In embedded mode: uploads and promotes each valid edit of the MODEL_PATH file. */
  startWatching(): { close(): Promise<void> } | undefined;
}

/** A role's model file: the artifact's text and version, validated at start. */
interface SeedFile {
  role: keyof ModelRoles;
  path: string;
  text: string;
  version: string;
}

/** Reads and validates a model file (a missing or invalid file fails the start, naming it). */
function readSeed(role: keyof ModelRoles, path: string): SeedFile {
  const kind = role === 'anomaly' ? 'model' : 'fraud model';
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RiskError('RISK_ERR_VALIDATION', `cannot read ${kind} file ${path}`, undefined, err);
  }
  const model = role === 'anomaly' ? modelFromJson(raw, path) : fraudModelFromJson(raw, path);
  return { role, path, text: artifactText(JSON.parse(raw)), version: model.version };
}

/** The model files of the configuration, by role: MODEL_PATH (anomaly), FRAUD_MODEL_PATH. */
function seedFiles(config: Config): SeedFile[] {
  const files: SeedFile[] = [];
  const anomaly = modelPath(config);
  if (anomaly !== null) files.push(readSeed('anomaly', anomaly));
  if (config.FRAUD_MODEL_PATH !== undefined) files.push(readSeed('fraud', config.FRAUD_MODEL_PATH));
  return files;
}

/**
 * The model registry and its live models. A model file seeds its role when the role has no
 * version yet (as rules/ seeds the ruleset store): MODEL_PATH the `anomaly` role (unset: the
 * shipped model, so it is the default; `none` seeds nothing, so the role has no model until one
 * is promoted through the API), FRAUD_MODEL_PATH the `fraud` role (unset: none). In embedded
 * mode the files stay an operator's way in, as the rules directory does: a file changed since
 * the version last taken from it is uploaded and promoted at start, and each valid edit while
 * running too.
 */
export async function setupModels(
  config: Config,
  store: ModelRegistryStore,
  mode: StoreMode,
  logger: PinoLogger,
  onSwap?: Parameters<typeof createLiveModels<ModelRoles>>[0]['onSwap'],
): Promise<ModelsSetup> {
  const embedded = mode !== 'postgres';
  const seeds = seedFiles(config);
  const fromFile = (
    seed: SeedFile,
    text: string,
    version: string,
    comment: string,
    source: 'seed' | 'file',
  ) => ({
    role: seed.role,
    version,
    format: MODEL_ROLES[seed.role].format,
    artifact: text,
    sha256: sha256Hex(text),
    actor: MODEL_FILE_ACTOR,
    comment,
    source,
  });

  const changed: SeedFile[] = [];
  for (const seed of seeds) {
    const seeded = await store.seedIfEmpty(
      fromFile(seed, seed.text, seed.version, `seeded from ${seed.path}`, 'seed'),
    );
    if (seeded !== null)
      logger.info(
        { role: seed.role, id: seeded.id, version: seeded.version, path: seed.path },
        'model registry seeded',
      );
    else if (embedded) {
      const last = (await store.list(seed.role, 1000)).find(
        (v) => v.source === 'seed' || v.source === 'file',
      );
      if (last !== undefined && last.sha256 !== sha256Hex(seed.text)) changed.push(seed);
    }
  }

  const live = await createLiveModels<ModelRoles>({
    store,
    roles: MODEL_ROLES,
    logger,
    pollIntervalMs: config.RULES_POLL_INTERVAL_MS,
    ...(onSwap !== undefined && { onSwap }),
  });
  const registry = createModelRegistry({
    store,
    live,
    roles: MODEL_ROLES,
  });

  /** Uploads a file's artifact and makes it active (nothing if it is active already). */
  async function takeFile(seed: SeedFile, text: string, comment: string): Promise<void> {
    const { model } = await registry.upload({
      artifact: JSON.parse(text) as unknown,
      role: seed.role,
      actor: MODEL_FILE_ACTOR,
      comment,
      source: 'file',
    });
    if (live.source(seed.role).state().active?.id === model.id) return;
    await registry.promote({ id: model.id, actor: MODEL_FILE_ACTOR, comment });
    logger.info(
      { role: seed.role, id: model.id, version: model.version, path: seed.path },
      'model file changed: promoted',
    );
  }
  for (const seed of changed)
    await takeFile(seed, seed.text, `${seed.path} changed while the service was stopped`);

  const active = live.source('anomaly').current();
  if (active === null)
    logger.info({}, 'no active anomaly model (MODEL_PATH=none): anomaly_score is null');
  else logger.info({ model_version: active.version }, 'anomaly model loaded');
  const fraud = live.source('fraud').current();
  if (fraud !== null) logger.info({ fraud_model_version: fraud.version }, 'fraud model loaded');

  return {
    live,
    registry,
    startWatching() {
      if (!embedded || seeds.length === 0) return undefined;
      const onEdit = (seed: SeedFile) => (text: string) => {
        takeFile(seed, text, `${seed.path} edited`).catch((err: unknown) =>
          logger.error(
            { err: err instanceof Error ? err.message : String(err), path: seed.path },
            'the edited model file could not be promoted',
          ),
        );
      };
      const watchers = seeds.map((seed) =>
        seed.role === 'anomaly'
          ? createFileModelSource({ path: seed.path, logger, onSwap: onEdit(seed) })
          : createFileFraudModelSource({ path: seed.path, logger, onSwap: onEdit(seed) }),
      );
      return { close: async () => void (await Promise.all(watchers.map((w) => w.close()))) };
    },
  };
}
