// IPC channel names shared by the preload and the main process's handlers (one place, no typos).
export const CHANNELS = {
  adminToken: 'pillars:admin-token',
  settingsGet: 'pillars:settings:get',
  settingsSet: 'pillars:settings:set',
  setupProbe: 'pillars:setup:probe',
  setupPair: 'pillars:setup:pair',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/** The preload reads the paired server's origin from this command-line switch (set per window). */
export const SERVER_ARG = '--pillars-server=';
