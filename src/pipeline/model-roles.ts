import type { ErrorDetail } from '../domain/errors.ts';
import type { ScoredSample } from './recent-scored.ts';

/** What every model of every role has: the `model_version` it reports. */
export interface VersionedModel {
  readonly version: string;
}

export type ArtifactCheck<M> = { ok: true; model: M } | { ok: false; errors: ErrorDetail[] };

/**
 * One role of the model registry: which artifacts it takes and how its models are used. A new
 * role (the supervised `fraud` model beside the `anomaly` one) is one more entry of this shape
 * in the role table (app/model-roles.ts) and one more source handed to the scorer.
 */
export interface ModelRoleSpec<M extends VersionedModel> {
  /** The artifact format the role takes (`risk-iforest/1`); uploads are routed by it. */
  readonly format: string;
  /**
   * Validates a parsed artifact and binds it to the service's features: every problem with a
   * JSON pointer into the artifact (`field`) and a message; never throws for a bad artifact.
   */
  parse(json: unknown): ArtifactCheck<M>;
  /**
   * The shadow model's score of a transaction already scored by the active model (which gave
   * the sample its scores), and whether each model counts its score as unusual by its own
   * threshold (the disagreement metric; null without an active score). Null when the shadow
   * cannot score it (no velocity features).
   */
  shadowScore(
    shadow: M,
    active: M | null,
    sample: ScoredSample,
  ): { score: number; flagged: boolean; activeFlagged: boolean | null } | null;
}

/** `trees.node_counts` (a zod issue path, or a parser's own) → `/trees/node_counts`. */
export function pointerOf(path: string): string {
  if (path === '' || path === 'artifact') return '';
  return `/${path.split('.').join('/')}`;
}

/**
 * "path: message" lines, the shape the artifact parsers report problems in, as error details
 * (a line without a path names the whole artifact).
 */
export function artifactDetails(lines: readonly string[]): ErrorDetail[] {
  return lines.map((line) => {
    const m = /^([A-Za-z0-9_.]+): (.*)$/s.exec(line);
    return m === null
      ? { field: '', message: line }
      : { field: pointerOf(m[1] ?? ''), message: m[2] ?? line };
  });
}
