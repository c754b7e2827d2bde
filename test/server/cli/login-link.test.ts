// The login link's address: what a browser on the network types, from server.listen and tls, or
// the URL a running server recorded when it chose its port at start.
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../../server/src/config/load';
import { paneBaseUrl } from '../../../server/src/cli/commands/login-link';

const loaded = (server: string) => ({ file: '/etc/pillars/pillarsd.yaml', config: parseConfig(`stateDir: /var/lib/pillars\nserver: ${server}\n`, 'pillarsd.yaml') });

describe('paneBaseUrl', () => {
  test.each([
    ['{ listen: "0.0.0.0:8443", allowedHosts: [motoko.lan] }', 'https://motoko.lan:8443'],
    ['{ listen: "10.0.0.5:8443" }', 'https://10.0.0.5:8443'],
    ['{ listen: "[::1]:9000", tls: "off" }', 'http://[::1]:9000'],
    ['{ listen: "127.0.0.1:8080", tls: "off" }', 'http://127.0.0.1:8080'],
  ])('%s → %s', (server, url) => expect(paneBaseUrl(loaded(server), 'http://127.0.0.1:1234')).toBe(url));

  test('a port chosen at start: the URL the running server recorded, else a message that says what to do', () => {
    expect(paneBaseUrl(loaded('{ listen: "127.0.0.1:0", tls: "off" }'), 'http://127.0.0.1:41234')).toBe('http://127.0.0.1:41234');
    expect(() => paneBaseUrl(loaded('{ listen: "127.0.0.1:0", tls: "off" }'), null)).toThrow(/chooses? its port when it starts.*start it first, or pass --url/);
  });
});
