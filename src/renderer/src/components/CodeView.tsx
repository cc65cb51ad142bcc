import { lazy, Suspense, type ComponentProps } from 'react';
import type CodeEditor from './CodeEditor';

export type { CodeLanguage } from './CodeEditor';

// CodeMirror is about a third of the renderer's JavaScript and only the views that show a value or raw JSON need it:
// it loads with the first of them instead of delaying every view's first paint.
const Editor = lazy(() => import('./CodeEditor'));

/** A CodeMirror 6 view of a text (see CodeEditor.tsx), loaded on first use. */
export function CodeView(props: ComponentProps<typeof CodeEditor>) {
  return (
    <Suspense fallback={<div className={props.className ?? 'code-view'} aria-busy="true" />}>
      <Editor {...props} />
    </Suspense>
  );
}
