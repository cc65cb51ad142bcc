// electron-builder's afterPack hook (electron-builder.yml): flips the Electron fuses of the packed binary before it
// is wrapped into an AppImage or a .deb. Fuses are bits in the binary itself, so no argument, environment variable
// or file beside it can turn these back on.
const { join } = require('node:path');
const { flipFuses, FuseV1Options, FuseVersion } = require('@electron/fuses');

/** Every fuse @electron/fuses knows, set explicitly; SECURITY.md says why each is what it is. */
const fuses = {
  version: FuseVersion.V1,
  // ELECTRON_RUN_AS_NODE would turn the app into a plain Node with the app's identity.
  [FuseV1Options.RunAsNode]: false,
  // Cookies and other Chromium storage encrypted with the OS keyring.
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS could preload any script into the main process.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  // --inspect and friends would open a debugger port onto the main process.
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // app.asar is checked against the hash in the binary (enforced by Electron on macOS and Windows).
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  // The app is only ever loaded from app.asar, never from an app/ folder someone put beside it.
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // The renderer is served from app://, so file:// needs no extra privileges.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** Where the packed Electron binary is: `<appOutDir>/<executable>` on Linux and Windows, the .app on macOS. */
function electronBinary(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas')
    return join(appOutDir, `${packager.appInfo.productFilename}.app`);
  const ext = electronPlatformName === 'win32' ? '.exe' : '';
  return join(appOutDir, `${packager.executableName}${ext}`);
}

async function afterPack(context) {
  const binary = electronBinary(context);
  const darwin = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  await flipFuses(binary, { ...fuses, resetAdHocDarwinSignature: darwin });
  console.log(`  • fuses flipped in ${binary}`);
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.fuses = fuses;
module.exports.electronBinary = electronBinary;
