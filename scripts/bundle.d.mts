export const projectRoot: string;
export function runtimeDependencies(): string[];
export function bundleForNode(options: {
  entry: string;
  outfile: string;
  external?: string[];
  sourcemap?: boolean;
}): Promise<void>;
