// The preload: a minimal typed bridge and no logic (sandboxed, context-isolated). It only forwards
// fixed requests to the main process, which checks who is asking.
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS, SERVER_ARG } from './channels';
import type { PillarsBridge } from './api';

const serverArg = process.argv.find((a) => a.startsWith(SERVER_ARG));

const api: PillarsBridge = {
  ...(serverArg ? { serverUrl: serverArg.slice(SERVER_ARG.length) } : {}),
  adminToken: () => ipcRenderer.invoke(CHANNELS.adminToken),
  settings: {
    get: () => ipcRenderer.invoke(CHANNELS.settingsGet),
    set: (patch) => ipcRenderer.invoke(CHANNELS.settingsSet, patch),
  },
  setup: {
    probe: (url) => ipcRenderer.invoke(CHANNELS.setupProbe, String(url)),
    pair: (req) => ipcRenderer.invoke(CHANNELS.setupPair, { url: String(req.url), fingerprint: req.fingerprint === null ? null : String(req.fingerprint), code: String(req.code) }),
  },
};

contextBridge.exposeInMainWorld('pillars', api);
