// `pillars status` merges what a running core last knew into a one-shot check.
import { describe, expect, it } from 'vitest';
import { mergeRecorded } from '../../../src/main/core/mounts/recorded';
import type { PillarStatus } from '../../../src/main/core/mounts/manager';

const st = (id: string, state: PillarStatus['state'], reason = '', wanted = true): PillarStatus => ({ id, label: id, state, reason, path: `/m/${id}`, freeBytes: null, since: '2026-11-25T00:00:00.000Z', wanted });

describe('recorded status', () => {
  const live = [st('flux', 'mounted'), st('space', 'unmounted', 'not mounted', false), st('time', 'unmounted', 'not mounted', false)];
  const rec = { pid: 1, at: '', pillars: [st('flux', 'stale', 'old'), st('space', 'failed-auth', 'motoko rejected the login of mike'), st('time', 'unmounted', 'unmounted by request', false)] };

  it('explains an unmounted pillar with what the live core knows, never overriding a live mount', () => {
    const m = mergeRecorded(live, rec, true);
    expect(m.map((p) => [p.id, p.state, p.reason])).toEqual([
      ['flux', 'mounted', ''],
      ['space', 'failed-auth', 'motoko rejected the login of mike'],
      ['time', 'unmounted', 'not mounted'],
    ]);
  });

  it('ignores the record of a core that is gone', () => {
    expect(mergeRecorded(live, rec, false)).toEqual(live);
    expect(mergeRecorded(live, null, true)).toEqual(live);
  });
});
