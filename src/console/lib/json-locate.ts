import type { SyntaxNode, Tree } from '@lezer/common';

const VALUE_NODES = new Set(['Object', 'Array', 'String', 'Number', 'True', 'False', 'Null']);

const valuesOf = (node: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c !== null; c = c.nextSibling)
    if (VALUE_NODES.has(c.name)) out.push(c);
  return out;
};

const keyText = (doc: string, name: SyntaxNode): string => {
  const raw = doc.slice(name.from, name.to);
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.replace(/^"|"$/g, '');
  }
};

/** `/0/conditions/all/1` → ['0', 'conditions', 'all', '1'] (RFC 6901 escapes undone). */
export const pointerSegments = (pointer: string): string[] =>
  pointer === ''
    ? []
    : pointer
        .replace(/^\//, '')
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));

/**
 * Where a JSON pointer lands in a JSON document's syntax tree: the member (key and value) or
 * element it names, or the deepest node that exists on its way when the rest is missing (a
 * missing property is reported at the object that lacks it).
 */
export function locatePointer(
  tree: Tree,
  doc: string,
  segments: readonly string[],
): { from: number; to: number; exact: boolean } | null {
  let first: SyntaxNode | null = tree.topNode.firstChild;
  while (first !== null && !VALUE_NODES.has(first.name)) first = first.nextSibling;
  if (first === null) return null;
  let node: SyntaxNode = first;
  let span = { from: node.from, to: node.to };
  for (const seg of segments) {
    if (node.name === 'Array') {
      const item: SyntaxNode | undefined = valuesOf(node)[Number(seg)];
      if (item === undefined || !/^\d+$/.test(seg)) return { ...span, exact: false };
      node = item;
      span = { from: item.from, to: item.to };
    } else if (node.name === 'Object') {
      let found: SyntaxNode | null = null;
      for (let p: SyntaxNode | null = node.firstChild; p !== null; p = p.nextSibling) {
        if (p.name !== 'Property') continue;
        const name = p.getChild('PropertyName');
        if (name !== null && keyText(doc, name) === seg) found = p;
      }
      const value: SyntaxNode | undefined = found === null ? undefined : valuesOf(found)[0];
      if (found === null || value === undefined) return { ...span, exact: false };
      node = value;
      span = { from: found.from, to: found.to };
    } else {
      return { ...span, exact: false };
    }
  }
  return { ...span, exact: true };
}
