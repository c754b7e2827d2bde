// The host's real effects, handed to the platform adapters and the core by a composition root.
export { createExec, baseEnv, spawnerPid } from './exec';
export { createFs } from './fs';
export { smbProbe, createServerProbe } from './smb';
export { createStartProcess } from './lines';
export { networkFingerprint } from './netif';
