import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  /**
   * Asks the renderer to show its import view (`app.command` `show-import`: the renderer owns navigation), then opens
   * the system dialog for a source and sends the chosen path the same way, for the view to fill in and check.
   */
  showImport(): void;
  openStore(): void;
  about(): void;
}

/**
 * The application menu. Toggle Developer Tools only in development: a released app has no reason to offer a
 * console into the window that holds the store's API.
 */
export function menuTemplate(
  actions: MenuActions,
  { development, platform = process.platform }: { development: boolean; platform?: NodeJS.Platform },
): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    ...(development ? [{ role: 'toggleDevTools' } as const] : []),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Import...', accelerator: 'CmdOrCtrl+I', click: () => actions.showImport() },
        { label: 'Open Store...', accelerator: 'CmdOrCtrl+O', click: () => actions.openStore() },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { label: '&View', submenu: view },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'About imgmeta', click: () => actions.about() }],
    },
  ];
}
