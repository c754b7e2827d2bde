// The hot-sets around backups, for every process that runs backups (`serve`, `pillarsd run`): the
// pause around the backups of the pillar holding them, the leftover pauses resumed whenever
// Syncthing answers again (with a warning while they last), and, for `serve`, a watch that tells
// of new conflict files.
import type { Config } from '../config/schema';
import { resolveLocation } from '../config/locations';
import type { ServerEvent } from '../contract/api';
import type { Clock } from '../ports/clock';
import type { Exec } from '../infra/exec';
import { conflictFinder, takeLegacyPauseFile } from '../infra/watch-host';
import { realBackends } from '../secrets/sources';
import { runSecrets } from '../secrets/resolver';
import type { AroundRun as EngineAroundRun } from '../jobs/execution';
import { SyncthingClient } from './syncthing';
import { hotSetFolders, LeftoverPauses, pauseHotSetsAround } from './hotsets';
import type { PauseJournal } from './hotsets';

export interface HotSetWiring {
  client: SyncthingClient;
  hotRoot: string;
  /** the pause around the backups of the hot pillar (syncthing.pauseDuringBackup), in the engine's shape */
  aroundRun: EngineAroundRun | null;
  leftovers: LeftoverPauses;
  /** At start: takes over an older version's journal file, then resumes what it can; says what it did. */
  start(log: (m: string) => void): Promise<void>;
  /** `serve`: every syncthing.pollSeconds, resumes leftover pauses and tells of new conflict files. */
  watch(publish: (e: ServerEvent) => void, log: (m: string) => void): () => void;
}

export interface HotSetDeps {
  journal: PauseJournal;
  /** the run is still under way in some pillarsd process */
  isRunLive(runId: string): boolean;
  clock: Clock;
  exec: Exec;
  env: NodeJS.ProcessEnv;
}

export function hotSetsFromConfig(config: Config, d: HotSetDeps): HotSetWiring | null {
  const st = config.syncthing;
  if (!st) return null;
  const root = resolveLocation(config, st.hotRoot);
  if (root.kind !== 'pillar') return null;
  const hotRoot = root.path.replace(/(.)\/+$/, '$1');
  const secrets = runSecrets({ syncthing: st.apiKey }, realBackends({ env: d.env, exec: d.exec, akv: config.akv }));
  const client = new SyncthingClient({ url: st.url, apiKey: () => secrets.get('syncthing') });
  const hotPillar = st.hotRoot.split(':')[0];
  const backupJobs = Object.entries(config.jobs)
    .filter(([, j]) => j.type === 'restic-backup' && j.source.split(':')[0] === hotPillar)
    .map(([id]) => id);
  const leftovers = new LeftoverPauses(client, { journal: d.journal, isRunLive: d.isRunLive });
  const around = st.pauseDuringBackup ? pauseHotSetsAround(client, { journal: d.journal, hotRoot, jobIds: backupJobs, now: () => d.clock.now() }) : null;
  const tryResume = async (log: (m: string) => void) => {
    if (leftovers.leftovers().length === 0) return [];
    const done = await leftovers.resume();
    if (done.length) log(`resumed hot-sets a run left paused: ${done.join(', ')}`);
    return done;
  };
  return {
    client,
    hotRoot,
    leftovers,
    aroundRun: around ? (job, run, info) => around({ jobId: job.id, runId: info.runId, log: info.log }, run).then(() => undefined) : null,
    async start(log) {
      const legacy = await takeLegacyPauseFile(`${config.stateDir}/hotsets-paused.json`);
      if (legacy.length) d.journal.add(legacy, null, d.clock.now().toISOString());
      await tryResume(log);
      for (const w of leftovers.warnings()) log(w);
    },
    watch(publish, log) {
      const everyMs = st.pollSeconds * 1000;
      const seen = new Map<string, Set<string>>();
      let first = true;
      let timer: { cancel(): void } | null = null;
      let stopped = false;
      const tick = async () => {
        if ((await tryResume(log)).length) publish({ type: 'status.changed', reason: 'hot-sets resumed' });
        for (const f of await hotSetFolders(client, hotRoot)) {
          const found = await conflictFinder.find(f.path, 100).catch(() => [] as string[]);
          const before = seen.get(f.id) ?? new Set<string>();
          const added = found.filter((c) => !before.has(c));
          seen.set(f.id, new Set(found));
          // the first look is the baseline: status shows what was there already
          if (!first && added.length) publish({ type: 'hotset.conflicts', hotSetId: f.id, label: f.label || f.id, path: f.path, added, total: found.length });
        }
        first = false;
      };
      const loop = () => {
        void tick()
          .catch(() => undefined) // Syncthing down: the leftovers' warning says so; try again later
          .finally(() => {
            if (!stopped) timer = d.clock.setTimeout(loop, everyMs);
          });
      };
      loop();
      return () => {
        stopped = true;
        timer?.cancel();
      };
    },
  };
}
