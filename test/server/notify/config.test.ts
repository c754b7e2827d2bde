// notifications: and metrics: in pillarsd.yaml: every mistake names its key (and line), and a
// credential can only be the name of a secret reference.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../server/src/config/load';

const base = `stateDir: /var/lib/pillars
pillars: { space: { path: /space } }
secrets: { restic: "env:RESTIC", hookKey: "file:/etc/pillars/hook.key" }
jobs:
  nightly: { type: restic-check, repository: "space:/r", password: restic }
`;

function problems(extra: string): string[] {
  try {
    parseConfig(base + extra, 'pillarsd.yaml');
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.line ?? '-'} ${p.path}: ${p.message}`);
    throw e;
  }
}

describe('notifications in pillarsd.yaml', () => {
  it('a full example loads with its defaults', () => {
    const c = parseConfig(
      `${base}notifications:
  channels:
    hook: { type: webhook, url: "https://hooks.example.org/x", signingKey: hookKey }
    hc: { type: heartbeat, jobs: { nightly: hookKey } }
  jobs:
    nightly: { maxAge: 36h, send: { hook: [failed] } }
metrics:
  allowWithoutToken: [192.168.1.0/24, "fd00::/8", 10.0.0.5]
`,
      'pillarsd.yaml',
    );
    expect(c.notifications).toMatchObject({ groupSeconds: 20, reminders: ['1h', '6h', '24h'], retry: { firstSeconds: 10, maxSeconds: 600, giveUpHours: 168 } });
    expect(c.notifications!.channels.hook).toMatchObject({ enabled: true });
    expect(c.metrics!.allowWithoutToken).toHaveLength(3);
  });

  it('names each mistake by its key', () => {
    expect(
      problems(`notifications:
  channels:
    hook: { type: webhook, url: "https://user:pw@hooks.example.org/x", signingKey: nope }
    phone: { type: ntfy, url: "https://ntfy.sh/" }
    mail: { type: email, host: smtp.example.org, security: none, password: hookKey, from: a@b.c, to: [] }
    hc: { type: heartbeat, jobs: { weekly: hookKey } }
  jobs:
    nightly: { maxAge: 3 days, send: { hc: [failed], gone: [failed], hook: [capacity] } }
metrics:
  allowWithoutToken: [example.org]
`),
    ).toEqual([
      '8 notifications.channels.hook.url: must not carry a user or password (name a secret instead: token, signingKey)',
      '9 notifications.channels.phone.url: must name the topic (https://ntfy.example/TOPIC)',
      '10 notifications.channels.mail.to: needs at least one address',
      '13 notifications.jobs.nightly.maxAge: must be a duration such as 90s, 30m, 6h or 2d',
      '13 notifications.jobs.nightly.send.hook: a job sends only failed, blocked, interrupted, warnings, overdue, drill',
      '15 metrics.allowWithoutToken.0: must be an IP address or a CIDR range such as 192.168.1.0/24',
    ]);
    expect(
      problems(`notifications:
  channels:
    hook: { type: webhook, url: "https://hooks.example.org/x", signingKey: nope }
    mail: { type: email, host: smtp.example.org, security: none, password: hookKey, from: a@b.c, to: [x@y.z] }
    hc: { type: heartbeat, jobs: { weekly: hookKey } }
  jobs:
    nightly: { send: { hc: [failed], gone: [failed] } }
`),
    ).toEqual([
      '8 notifications.channels.hook.signingKey: names no entry of secrets: "nope" (known: restic, hookKey)',
      '9 notifications.channels.mail.user: a password needs the user it belongs to',
      '9 notifications.channels.mail.security: "none" sends mail (and any password) in clear text; it is allowed only to a server on this machine, not smtp.example.org',
      '10 notifications.channels.hc.jobs.weekly: names no job "weekly" (known: nightly)',
      '12 notifications.jobs.nightly.send.hc: "hc" is a heartbeat channel: its pings are set under notifications.channels.hc.jobs',
      '12 notifications.jobs.nightly.send.gone: names no channel "gone" (known: hook, mail, hc)',
    ]);
  });

  it('a secret can only be named, never written in', () => {
    expect(problems(`notifications:\n  channels:\n    phone: { type: ntfy, url: "https://ntfy.sh/t", token: "tk_abc def" }\n`)).toEqual([
      '8 notifications.channels.phone.token: must be the name of an entry under secrets:',
    ]);
  });
});
