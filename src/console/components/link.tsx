import type { ComponentChildren } from 'preact';
import { BASE, onLink } from '../lib/router.ts';

export function Link(props: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={BASE + props.to} class={props.class} onClick={(e) => onLink(e, props.to)}>
      {props.children}
    </a>
  );
}
