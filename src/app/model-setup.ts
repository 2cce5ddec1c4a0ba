import { readFileSync } from 'node:fs';
import type { Logger as PinoLogger } from 'pino';
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

/** The model file's artifact, validated (an invalid or missing file fails the start). */
function readSeed(path: string): { text: string; version: string; format: string } {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RiskError('RISK_ERR_VALIDATION', `cannot read model file ${path}`, undefined, err);
  }
  const model = modelFromJson(raw, path);
  const text = artifactText(JSON.parse(raw));
  return { text, version: model.version, format: MODEL_ROLES.anomaly.format };
}

/**
 * The model registry and its live models. MODEL_PATH seeds the `anomaly` role when it has no
 * version yet (as rules/ seeds the ruleset store), so the shipped model is the default;
 * `MODEL_PATH=none` seeds nothing, so the role has no model until one is promoted through the
 * API. In embedded mode the file stays an operator's way in, as the rules directory does: a
 * file changed since the version last taken from it is uploaded and promoted at start, and
 * each valid edit while running too.
 */
export async function setupModels(
  config: Config,
  store: ModelRegistryStore,
  mode: StoreMode,
  logger: PinoLogger,
  onSwap?: Parameters<typeof createLiveModels<ModelRoles>>[0]['onSwap'],
): Promise<ModelsSetup> {
  const path = modelPath(config);
  const embedded = mode !== 'postgres';
  const seed = path === null ? null : readSeed(path);
  const fromFile = (text: string, version: string, comment: string, source: 'seed' | 'file') => ({
    role: 'anomaly',
    version,
    format: MODEL_ROLES.anomaly.format,
    artifact: text,
    sha256: sha256Hex(text),
    actor: MODEL_FILE_ACTOR,
    comment,
    source,
  });

  let fileChanged = false;
  if (seed !== null && path !== null) {
    const seeded = await store.seedIfEmpty(
      fromFile(seed.text, seed.version, `seeded from ${path}`, 'seed'),
    );
    if (seeded !== null)
      logger.info({ id: seeded.id, version: seeded.version, path }, 'model registry seeded');
    else if (embedded) {
      const last = (await store.list('anomaly', 1000)).find(
        (v) => v.source === 'seed' || v.source === 'file',
      );
      fileChanged = last !== undefined && last.sha256 !== sha256Hex(seed.text);
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

  /** Uploads the file's artifact and makes it active (nothing if it is active already). */
  async function takeFile(text: string, comment: string): Promise<void> {
    const { model } = await registry.upload({
      artifact: JSON.parse(text) as unknown,
      role: 'anomaly',
      actor: MODEL_FILE_ACTOR,
      comment,
      source: 'file',
    });
    if (live.source('anomaly').state().active?.id === model.id) return;
    await registry.promote({ id: model.id, actor: MODEL_FILE_ACTOR, comment });
    logger.info({ id: model.id, version: model.version, path }, 'model file changed: promoted');
  }
  if (fileChanged && seed !== null)
    await takeFile(seed.text, `${path} changed while the service was stopped`);

  const active = live.source('anomaly').current();
  if (active === null)
    logger.info({}, 'no active anomaly model (MODEL_PATH=none): anomaly_score is null');
  else logger.info({ model_version: active.version }, 'anomaly model loaded');

  return {
    live,
    registry,
    startWatching() {
      if (!embedded || path === null) return undefined;
      return createFileModelSource({
        path,
        logger,
        onSwap: (text) => {
          takeFile(text, `${path} edited`).catch((err: unknown) =>
            logger.error(
              { err: err instanceof Error ? err.message : String(err), path },
              'the edited model file could not be promoted',
            ),
          );
        },
      });
    },
  };
}
