// The avahi helper: a real avahi-daemon in its own namespace publishes what is written into its
// services folder, the browser on the host end hears it, and the host's own avahi folders and
// system bus are never touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mdnsBrowser, startAvahi, type Avahi } from './avahi';
import { run } from './proc';

let avahi: Avahi;
const hostServices = existsSync('/etc/avahi/services') ? readdirSync('/etc/avahi/services') : null;
beforeAll(async () => {
  avahi = await startAvahi();
}, 60_000);
afterAll(async () => avahi?.stop());

describe('avahi helper', () => {
  it('publishes a service written into servicesDir; the browser hears it; the host is untouched', async () => {
    writeFileSync(
      path.join(avahi.servicesDir, 'probe.service'),
      `<?xml version="1.0" standalone='no'?>\n<!DOCTYPE service-group SYSTEM "avahi-service.dtd">\n<service-group><name replace-wildcards="yes">%h</name><service><type>_pillarsprobe._tcp</type><port>9</port><txt-record>k=v</txt-record></service></service-group>\n`,
    );
    const mac = await mdnsBrowser(avahi);
    try {
      const txt = await mac.waitFor([{ name: `${avahi.hostName}._pillarsprobe._tcp.local`, type: 'TXT' }], (r) => r.type === 'TXT' && r.name === `${avahi.hostName}._pillarsprobe._tcp.local`);
      expect(txt.data).toEqual(['k=v']);
    } finally {
      mac.close();
    }
    // The daemon answers on its private bus, not the host's (there may be none).
    const own = await run('dbus-send', ['--system', '--print-reply', '--dest=org.freedesktop.Avahi', '/', 'org.freedesktop.Avahi.Server.GetHostName'], { env: { ...process.env, ...avahi.env } });
    expect(own.stdout).toContain(`string "${avahi.hostName}"`);
    expect(hostServices === null ? existsSync('/etc/avahi/services') : readdirSync('/etc/avahi/services')).toEqual(hostServices === null ? false : hostServices);
    expect(existsSync('/etc/avahi/services/probe.service')).toBe(false);
  });
});
