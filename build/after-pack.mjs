// electron-builder afterPack hook: flips Electron's fuses in the packaged binary before it is
// signed (electronjs.org/docs/latest/tutorial/fuses). Each fuse closes a way to run code in our
// process that the app doesn't need: ELECTRON_RUN_AS_NODE, NODE_OPTIONS, --inspect, loading an
// app from outside the (integrity-checked) asar, file:// privileges (we serve pillars://app).
import path from 'node:path';
import fuses from '@electron/fuses';

const { flipFuses, FuseVersion, FuseV1Options } = fuses;

export const FUSES = {
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

const ARCH_ARM64 = 3; // builder-util's Arch enum: ia32 0, x64 1, armv7l 2, arm64 3, universal 4

/** The file that carries the fuse wire for this platform's packaged app. */
export function fusedBinaryPath(context) {
  const name = context.packager.appInfo.productFilename;
  switch (context.electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(context.appOutDir, `${name}.app`);
    case 'win32':
      return path.join(context.appOutDir, `${name}.exe`);
    default:
      return path.join(context.appOutDir, context.packager.executableName);
  }
}

export default async function afterPack(context) {
  const target = fusedBinaryPath(context);
  await flipFuses(target, {
    version: FuseVersion.V1,
    strictlyRequireAllFuses: true, // a fuse added by a newer Electron must be decided here, not inherited
    // Flipping fuses invalidates the ad-hoc signature of arm64 macOS builds; the real signature comes after.
    resetAdHocDarwinSignature: context.electronPlatformName === 'darwin' && context.arch === ARCH_ARM64,
    ...FUSES,
  });
}
