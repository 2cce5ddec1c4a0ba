import type { Decision } from '../lib/types.ts';

export function DecisionBadge(props: { decision: Decision }) {
  return <span class={`badge ${props.decision}`}>{props.decision}</span>;
}

export function ErrorNote(props: { error: string | null }) {
  if (props.error === null) return null;
  return (
    <p class="error" role="alert">
      {props.error}
    </p>
  );
}

export const time = (iso: string | undefined): string =>
  iso === undefined ? '' : new Date(iso).toLocaleTimeString(undefined, { hour12: false });

export const dateTime = (iso: string | undefined): string =>
  iso === undefined ? '' : new Date(iso).toLocaleString(undefined, { hour12: false });
