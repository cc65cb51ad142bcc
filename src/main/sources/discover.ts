import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DiscoveredSource, SourceKind } from '../../shared/types';
import { detectSource } from './index';

/** Where Docker, containerd and Podman keep their stores on Linux, rootful and rootless. */
function standardPlaces(): { path: string; kind: SourceKind }[] {
  const home = homedir();
  const dataHome = process.env['XDG_DATA_HOME'] || join(home, '.local', 'share');
  return [
    { path: '/var/lib/docker', kind: 'docker' },
    { path: join(dataHome, 'docker'), kind: 'docker' },
    { path: '/var/lib/containerd', kind: 'containerd' },
    { path: join(dataHome, 'containerd'), kind: 'containerd' },
    { path: '/var/lib/containers/storage', kind: 'containers-storage' },
    { path: join(dataHome, 'containers', 'storage'), kind: 'containers-storage' },
  ];
}

/**
 * The sources present on this machine, each with what it holds or why it cannot be read (usually permissions:
 * Docker's and containerd's roots belong to root). Places that do not exist are left out.
 */
export async function discoverSources(
  places: { path: string; kind: SourceKind }[] = standardPlaces(),
): Promise<DiscoveredSource[]> {
  const found: DiscoveredSource[] = [];
  for (const place of places) {
    try {
      await access(place.path, constants.F_OK);
    } catch {
      continue;
    }
    try {
      await access(place.path, constants.R_OK | constants.X_OK);
      const { detection } = await detectSource(place.path);
      found.push({ path: place.path, kind: detection.kind, readable: true, detection });
    } catch (err) {
      found.push({ path: place.path, kind: place.kind, readable: false, reason: (err as Error).message });
    }
  }
  return found;
}
