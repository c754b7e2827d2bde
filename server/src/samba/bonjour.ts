// The avahi service file that makes motoko a Time Machine destination Macs find by themselves
// (Bonjour). A Mac looks for `_adisk._tcp` next to `_smb._tcp` under the same service name:
// the `sys` TXT record says the host takes Time Machine backups (waMa=0: any MAC address,
// adVF=0x100: the record format), and one `dk<n>` record per Time share names the share
// (adVN) with adVF=0x82 (0x80 Time Machine | 0x02 SMB). These are the records Samba's own
// avahi registration publishes for `fruit:time machine = yes` (source3/smbd/avahi_register.c);
// `_device-info._tcp` carries the Finder icon (the same model as fruit:model).
// We write them as a static service: avahi-daemon watches /etc/avahi/services and applies a
// change at once, where smbd registers its records only when it starts.
import type { SambaModel } from './model';

export const BONJOUR_HEADER = '<!-- Managed by pillarsd (pillarsd samba apply). Do not edit by hand. -->';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The TXT records of `_adisk._tcp`, in order, or [] without a Time Machine share. */
export function adiskRecords(model: Pick<SambaModel, 'timeMachine'>): string[] {
  if (!model.timeMachine) return [];
  return ['sys=waMa=0,adVF=0x100', `dk0=adVN=${model.timeMachine.share},adVF=0x82`];
}

/** The records pillarsd publishes: service type → TXT records (what `check` looks for). */
export function bonjourRecords(model: Pick<SambaModel, 'timeMachine' | 'bonjour'>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!model.bonjour) return out;
  out.set('_smb._tcp', []);
  out.set('_device-info._tcp', [`model=${model.bonjour.model}`]);
  const adisk = adiskRecords(model);
  if (adisk.length) out.set('_adisk._tcp', adisk);
  return out;
}

/** The service file's text, or null when Bonjour is off. Values are validated by buildModel; escaped anyway. */
export function renderBonjour(model: Pick<SambaModel, 'timeMachine' | 'bonjour'>): string | null {
  if (!model.bonjour) return null;
  const service = (type: string, port: number, txt: string[]) => ['  <service>', `    <type>${type}</type>`, `    <port>${port}</port>`, ...txt.map((t) => `    <txt-record>${xml(t)}</txt-record>`), '  </service>'];
  const records = bonjourRecords(model);
  return [
    `<?xml version="1.0" standalone='no'?>`,
    '<!DOCTYPE service-group SYSTEM "avahi-service.dtd">',
    BONJOUR_HEADER,
    '<service-group>',
    // %h: avahi's host name, so the name follows a rename after a conflict on the network.
    '  <name replace-wildcards="yes">%h</name>',
    ...service('_smb._tcp', 445, []),
    ...service('_device-info._tcp', 0, records.get('_device-info._tcp')!),
    ...(records.has('_adisk._tcp') ? service('_adisk._tcp', 0, records.get('_adisk._tcp')!) : []),
    '</service-group>',
    '',
  ].join('\n');
}
