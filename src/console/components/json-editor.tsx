import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  indentOnInput,
  syntaxHighlighting,
  syntaxTree,
} from '@codemirror/language';
import type { Diagnostic } from '@codemirror/lint';
import { lintGutter, linter } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import {
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from '@codemirror/view';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../lib/api.ts';
import { locatePointer, pointerSegments } from '../lib/json-locate.ts';

/** A problem of the draft, placed in the text: what the editor underlines and lists. */
export interface Problem {
  from: number;
  to: number;
  line: number;
  rule?: string;
  field?: string;
  message: string;
}

export interface JsonEditorProps {
  initial: string;
  onChange: (text: string) => void;
  /**
   * Checks the parsed document (`POST /v1/rules/validate`); throws an ApiError whose details
   * carry JSON pointers under `pointerBase`.
   */
  validate: (value: unknown, signal: AbortSignal) => Promise<void>;
  pointerBase: string;
  onProblems: (problems: Problem[] | null) => void;
  /** Set to move the cursor (and scroll) to a position. */
  jumpTo?: { at: number; seq: number };
  /** Replaces the whole text when its seq changes (reset to a version). */
  replace?: { text: string; seq: number };
}

/** CodeMirror 6 in JSON mode, with the service's validation as its linter (debounced). */
export function JsonEditor(props: JsonEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    if (host.current === null) return;
    const syntax = jsonParseLinter();
    let inFlight: AbortController | null = null;
    const serviceLinter = linter(
      async (v): Promise<Diagnostic[]> => {
        const text = v.state.doc.toString();
        const syntaxProblems = syntax(v);
        const place = (d: {
          from: number;
          to: number;
          message: string;
          rule?: string;
          field?: string;
        }): Problem => ({
          ...d,
          line: v.state.doc.lineAt(d.from).number,
        });
        if (syntaxProblems.length > 0) {
          latest.current.onProblems(syntaxProblems.map((d) => place(d)));
          return syntaxProblems;
        }
        inFlight?.abort();
        const abort = new AbortController();
        inFlight = abort;
        try {
          await latest.current.validate(JSON.parse(text) as unknown, abort.signal);
          latest.current.onProblems([]);
          return [];
        } catch (err) {
          if (abort.signal.aborted) return [];
          if (!(err instanceof ApiError) || err.status !== 400) {
            latest.current.onProblems(null);
            return [];
          }
          const tree = syntaxTree(v.state);
          const base = latest.current.pointerBase;
          const details = err.details.length > 0 ? err.details : [{ message: err.message }];
          const problems = details.map((d) => {
            const field = d.field ?? base;
            const inner = field.startsWith(base) ? field.slice(base.length) : '';
            const at = locatePointer(tree, text, pointerSegments(inner)) ?? { from: 0, to: 0 };
            return place({
              from: at.from,
              to: Math.max(at.from, at.to),
              message: d.message,
              ...(d.rule !== undefined && { rule: d.rule }),
              field,
            });
          });
          latest.current.onProblems(problems);
          return problems.map((p) => ({
            from: p.from,
            to: p.to,
            severity: 'error' as const,
            message: p.rule !== undefined ? `${p.rule}: ${p.message}` : p.message,
            source: 'POST /v1/rules/validate',
          }));
        }
      },
      { delay: 400 },
    );
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: props.initial,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          foldGutter(),
          history(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          json(),
          // The page's CSP admits the editor's <style> element by this response's nonce.
          EditorView.cspNonce.of(
            document.querySelector<HTMLMetaElement>('meta[name=csp-nonce]')?.content ?? '',
          ),
          lintGutter(),
          serviceLinter,
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      inFlight?.abort();
      v.destroy();
      view.current = null;
    };
    // The editor is created once; later props are read through `latest`.
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v === null || props.jumpTo === undefined) return;
    const at = Math.min(props.jumpTo.at, v.state.doc.length);
    v.dispatch({
      selection: { anchor: at },
      effects: EditorView.scrollIntoView(at, { y: 'center' }),
    });
    v.focus();
  }, [props.jumpTo?.seq]);

  useEffect(() => {
    const v = view.current;
    if (v === null || props.replace === undefined) return;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.replace.text } });
  }, [props.replace?.seq]);

  return <div class="editor" ref={host} data-testid="rules-editor" />;
}
