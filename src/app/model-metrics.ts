import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { RoleModels } from '../pipeline/live-models.ts';
import type { VersionedModel } from '../pipeline/model-roles.ts';
import type { ShadowObservation } from '../pipeline/shadow-models.ts';

export interface ModelMetrics {
  /** After every change of a role's models: which version is active and which shadows it. */
  observeModels(role: string, models: RoleModels<VersionedModel>): void;
  observeShadow(o: ShadowObservation): void;
  shadowDropped(): void;
}

/** The model registry's metrics, beside the service's own (metrics.ts) in one registry. */
export function createModelMetrics(registry: Registry): ModelMetrics {
  const registryInfo = new Gauge({
    name: 'risk_model_registry_info',
    help: 'The registry model of each role that acts (slot="active") and the one scored beside it without acting (slot="shadow"); value 1',
    labelNames: ['role', 'slot', 'model_version', 'id'] as const,
    registers: [registry],
  });
  const shadowScore = new Histogram({
    name: 'risk_model_shadow_score',
    help: "Scores of the shadow model (scored beside the active one, never acting), by role and the shadow's version",
    labelNames: ['role', 'model_version'] as const,
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    registers: [registry],
  });
  const disagreements = new Counter({
    name: 'risk_model_shadow_disagreements_total',
    help: 'Transactions that the shadow and the active model judge differently (one finds it unusual by its threshold, the other not)',
    labelNames: ['role', 'model_version'] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'risk_model_shadow_dropped_total',
    help: 'Scored transactions the shadow models skipped because their queue was full (the event loop was behind)',
    registers: [registry],
  });
  type InfoLabels = { role: string; slot: string; model_version: string; id: string };
  const shown = new Map<string, InfoLabels>();
  return {
    observeModels(role, models) {
      for (const slot of ['active', 'shadow'] as const) {
        const key = `${role}\u0000${slot}`;
        const was = shown.get(key);
        if (was !== undefined) registryInfo.remove(was);
        shown.delete(key);
        const m = models[slot];
        if (m === null) continue;
        const labels = { role, slot, model_version: m.model.version, id: String(m.id) };
        registryInfo.set(labels, 1);
        shown.set(key, labels);
      }
    },
    observeShadow(o) {
      shadowScore.observe({ role: o.role, model_version: o.version }, o.score);
      if (o.disagrees === true) disagreements.inc({ role: o.role, model_version: o.version });
    },
    shadowDropped: () => dropped.inc(),
  };
}
