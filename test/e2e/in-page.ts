/**
 * The little of the browser that callbacks passed to page.evaluate and page.waitForFunction use: they run in the
 * page, but are type-checked with the Node code. Declared here rather than through the DOM library, which would let
 * Node code anywhere under tsconfig.node.json use DOM globals by accident. In a callback:
 * `const { document } = globalThis as unknown as InPage;` (a type assertion, erased before the page sees it).
 */
export interface InPage {
  location: { hash: string };
  innerWidth: number;
  innerHeight: number;
  document: InPageNode & { documentElement: { scrollWidth: number; scrollHeight: number } };
  requestAnimationFrame(callback: (now: number) => void): number;
}

interface InPageNode {
  querySelector(selectors: string): InPageElement | null;
  querySelectorAll(selectors: string): Iterable<InPageElement>;
}

export interface InPageElement extends InPageNode {
  getAttribute(name: string): string | null;
  textContent: string | null;
  outerHTML: string;
  /** A form control's labels. */
  labels?: { length: number } | null;
}
