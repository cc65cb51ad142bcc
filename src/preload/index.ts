// Preload script (runs sandboxed, with context isolation).
import { contextBridge } from 'electron';

// The next issue exposes the inspector API here, e.g.
//   contextBridge.exposeInMainWorld('imgmeta', { listImages: () => ipcRenderer.invoke(...) });
// Nothing is exposed yet.
void contextBridge;
