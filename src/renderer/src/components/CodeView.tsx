import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import {
  bracketMatching,
  foldGutter,
  foldKeymap,
  HighlightStyle,
  syntaxHighlighting,
} from '@codemirror/language';
import { linter, lintGutter } from '@codemirror/lint';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { useEffect, useRef } from 'react';

export type CodeLanguage = 'json' | 'text';

// Colours come from the app's custom properties, so the editor follows light and dark like everything else.
const theme = EditorView.theme({
  '&': { color: 'var(--text)', backgroundColor: 'var(--code-bg)', fontSize: '12.5px', height: '100%' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '1.5' },
  '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: 'var(--text-faint)', border: 'none' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'var(--row-hover)' },
  '&.cm-focused': { outline: '2px solid var(--focus)', outlineOffset: '-2px' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
  '.cm-foldPlaceholder': { backgroundColor: 'var(--accent-soft)', color: 'var(--text)', border: 'none' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--accent-soft)',
  },
});

const highlight = HighlightStyle.define([
  { tag: tags.propertyName, color: 'var(--accent-strong)' },
  { tag: tags.string, color: 'var(--ok)' },
  { tag: [tags.number, tags.bool, tags.null], color: 'var(--warn)' },
  { tag: tags.invalid, color: 'var(--danger)' },
]);

function extensions(language: CodeLanguage, readOnly: boolean, label: string): Extension[] {
  return [
    lineNumbers(),
    foldGutter(),
    bracketMatching(),
    highlightSelectionMatches(),
    syntaxHighlighting(highlight),
    theme,
    EditorView.lineWrapping,
    keymap.of([...foldKeymap, ...searchKeymap, ...(readOnly ? [] : [...historyKeymap, ...defaultKeymap])]),
    EditorView.contentAttributes.of({ 'aria-label': label }),
    EditorState.readOnly.of(readOnly),
    EditorView.editable.of(!readOnly),
    ...(readOnly ? [] : [history(), highlightActiveLine()]),
    ...(language === 'json' ? [json(), ...(readOnly ? [] : [linter(jsonParseLinter()), lintGutter()])] : []),
  ];
}

/**
 * A CodeMirror 6 view of a text: read-only with folding (raw JSON of a blob) or editable (a metadata value).
 * The editor owns its document while mounted; a new `value` from outside replaces it only when it differs from what
 * the editor holds, so typing is never reset by the echo of its own `onChange`.
 */
export function CodeView({
  value,
  language = 'json',
  readOnly = true,
  label,
  onChange,
  className,
}: {
  value: string;
  language?: CodeLanguage;
  readOnly?: boolean;
  /** The accessible name of the text area, e.g. "Raw JSON of sha256:1234…". */
  label: string;
  onChange?: (text: string) => void;
  className?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          extensions(language, readOnly, label),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current?.(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The value is applied by the effect below; language, mode and name rebuild the editor.
  }, [language, readOnly, label]);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value)
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
  }, [value]);

  return <div ref={host} className={className ?? 'code-view'} />;
}
