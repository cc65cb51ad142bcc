export function electronPlatformPath(platform?: NodeJS.Platform | 'mas'): string;
export function findElectronBinary(options?: {
  root?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}): { path: string; reason?: undefined } | { path: undefined; reason: string };
