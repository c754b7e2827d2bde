// Windows output parsers over sample outputs (test/fixtures/platform/win), error-code mapping, and
// the invariants of the PowerShell script text (Windows cannot run here; the script is checked as text).
import { describe, expect, it } from 'vitest';
import { parseNetUse, parseSmbMappingJson, splitUnc, statusHealthy, statusName, statusNumber, winErrorOutcome } from '../../../src/platform/win/parse';
import { BOOTSTRAP, BOOTSTRAP_ENCODED, WIN_HELPER, WIN_HELPER_LINE } from '../../../src/platform/win/script';
import { fixture } from '../mac/fakes';

describe('Get-SmbMapping JSON', () => {
  it('reads the explicit fields our script emits (PowerShell 5.1 layout, numeric Status)', () => {
    expect(parseSmbMappingJson(fixture('win/get-smbmapping-fields.json'))).toEqual([
      { localPath: 'X:', remotePath: '\\\\motoko\\flux', status: 0 },
      { localPath: 'S:', remotePath: '\\\\motoko\\space', status: 6 },
      { localPath: 'T:', remotePath: '\\\\motoko\\time', status: 2 },
      { localPath: '', remotePath: '\\\\motoko\\IPC$', status: 0 },
      { localPath: 'M:', remotePath: '\\\\nas\\Música', status: 5 },
    ]);
  });

  it('reads a raw `Get-SmbMapping | ConvertTo-Json` (BOM, CRLF, a single object with CIM properties)', () => {
    expect(parseSmbMappingJson(fixture('win/get-smbmapping-raw.json'))).toEqual([{ localPath: 'X:', remotePath: '\\\\motoko\\flux', status: 0 }]);
  });

  it('accepts Status as a number or a name, and says what each means', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(statusName)).toEqual(['OK', 'Paused', 'Disconnected', 'NetworkError', 'Connecting', 'Reconnecting', 'Unavailable']);
    expect([0, 1, 2, 3, 4, 5, 6, null].map(statusHealthy)).toEqual([true, false, false, false, null, null, false, null]);
    expect(statusNumber('Unavailable')).toBe(6);
    expect(statusNumber('3')).toBe(3);
    expect(statusNumber({})).toBeNull();
    expect(parseSmbMappingJson('[]')).toEqual([]);
    expect(parseSmbMappingJson('')).toEqual([]);
  });

  it('splits UNC paths', () => {
    expect(splitUnc('\\\\motoko\\flux')).toEqual({ host: 'motoko', share: 'flux' });
    expect(splitUnc('\\\\motoko\\flux\\sub')).toEqual({ host: 'motoko', share: 'flux' });
    expect(splitUnc('X:\\')).toBeNull();
  });
});

describe('net use', () => {
  it('reads rows by the header columns and folds a wrapped Network column', () => {
    expect(parseNetUse(fixture('win/net-use.txt'))).toEqual([
      { status: 'OK', local: 'X:', remote: '\\\\motoko\\flux', network: 'Microsoft Windows Network' },
      { status: 'Unavailable', local: 'S:', remote: '\\\\motoko\\space', network: 'Microsoft Windows Network' },
      { status: 'Disconnected', local: 'T:', remote: '\\\\motoko\\time', network: 'Microsoft Windows Network' },
      { status: 'OK', local: '', remote: '\\\\motoko\\IPC$', network: 'Microsoft Windows Network' },
      { status: 'OK', local: 'P:', remote: '\\\\motoko.home.arpa\\projects-archive-2019', network: 'Microsoft Windows Network' },
      { status: '', local: 'Z:', remote: '\\\\TSCLIENT\\C', network: 'Microsoft Terminal Services' },
    ]);
  });

  it('returns nothing for an empty list or unknown text', () => {
    expect(parseNetUse('New connections will be remembered.\r\n\r\nThere are no entries in the list.\r\n')).toEqual([]);
    expect(parseNetUse('')).toEqual([]);
  });
});

describe('Windows error codes → MountOutcome', () => {
  const kind = (code: number | null) => {
    const o = winErrorOutcome(code, 'msg', 'X:', '\\\\motoko\\flux', 'motoko');
    return o.ok ? 'ok' : o.kind;
  };
  it('maps each documented code', () => {
    for (const c of [1326, 86, 1244, 1907, 1909, 1330]) expect(kind(c), String(c)).toBe('auth');
    for (const c of [53, 67, 1231, 64, 121, 1222]) expect(kind(c), String(c)).toBe('network');
    for (const c of [85, 1219, 1202, 2404]) expect(kind(c), String(c)).toBe('busy');
    for (const c of [5, 31, 87, null]) expect(kind(c), String(c)).toBe('error');
  });
  it('explains 1219 with a way out', () => {
    const o = winErrorOutcome(1219, 'Multiple connections to a server…', 'X:', '\\\\motoko\\flux', 'motoko');
    expect(!o.ok && o.reason).toContain('net use \\\\motoko\\IPC$ /delete');
  });
});

describe('the PowerShell helper text', () => {
  it('is ASCII (PowerShell 5.1 decodes what it is given in the console or ANSI code page)', () => {
    expect(/^[\t\n\r\x20-\x7e]*$/.test(WIN_HELPER)).toBe(true);
  });

  it('takes its requests only from stdin as JSON lines and never evaluates text; the bootstrap runs only the first line', () => {
    expect(WIN_HELPER).toContain('$line = [Console]::In.ReadLine()');
    expect(WIN_HELPER).toContain('$req = ConvertFrom-Json -InputObject $line');
    for (const evil of [/Invoke-Expression/i, /\biex\b/i, /\[scriptblock\]::Create/i, /ExpandString/i, /Add-Type/i, /Start-Process/i, /\$args/, /\$input\b/i]) {
      expect(evil.test(WIN_HELPER), String(evil)).toBe(false);
    }
    // the bootstrap: read ONE line (the helper, base64), build a script block from it, run it
    expect(BOOTSTRAP.match(/ReadLine\(\)/g)).toHaveLength(1);
    expect(BOOTSTRAP).toContain('[ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($t)))');
    expect(Buffer.from(BOOTSTRAP_ENCODED, 'base64').toString('utf16le')).toBe(BOOTSTRAP);
    expect(Buffer.from(WIN_HELPER_LINE, 'base64').toString('utf8')).toBe(WIN_HELPER);
    expect(WIN_HELPER_LINE).toMatch(/^[A-Za-z0-9+/=]+$/); // one line, whatever the helper holds
  });

  it('uses only the request fields the adapter sends', () => {
    const used = new Set([...WIN_HELPER.matchAll(/\$req\.(\w+)/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(['drive', 'drives', 'force', 'host', 'id', 'label', 'op', 'password', 'share', 'timeoutMs', 'user']);
  });

  it('maps, checks, labels and probes as documented', () => {
    expect(WIN_HELPER).toContain('New-SmbMapping -LocalPath ([string]$req.drive) -RemotePath $remote -UserName ([string]$req.user) -Password ([string]$req.password) -Persistent $true -SaveCredentials');
    expect(WIN_HELPER).toContain('Remove-SmbMapping -LocalPath ([string]$req.drive) -Force -UpdateProfile');
    expect(WIN_HELPER).toContain('Get-SmbConnection -ServerName ([string]$req.host)');
    expect(WIN_HELPER).toContain("Explorer\\MountPoints2\\##' + [string]$req.host + '#' + [string]$req.share");
    expect(WIN_HELPER).toContain("SetValue('_LabelFromReg'");
    expect(WIN_HELPER.indexOf('Set-DriveLabel $req\n  foreach')).toBeLessThan(WIN_HELPER.indexOf('New-SmbMapping'));
    expect(WIN_HELPER).toContain('ConvertTo-Json -InputObject $value');
    expect(WIN_HELPER).toContain("$value['id'] = $script:reqId");
    expect(WIN_HELPER).toContain('Status = [int]$_.Status');
    expect(WIN_HELPER).toContain("'Windows System Error (\\d+)'");
    expect(WIN_HELPER).toContain("$h = '{0:X8}' -f $e.HResult");
    // the probe touches the share in a pooled runspace under the request's deadline, never in the helper's own thread
    expect(WIN_HELPER).toContain("$null = Get-Item -LiteralPath ($drive + '\\') -Force -ErrorAction Stop");
    expect(WIN_HELPER).toContain('[RunspaceFactory]::CreateRunspacePool(1, 4)');
    expect(WIN_HELPER).toContain('$async.AsyncWaitHandle.WaitOne([int]$req.timeoutMs)');
    // an unmount that would close open handles is refused unless forced
    const unmount = WIN_HELPER.slice(WIN_HELPER.indexOf('function Invoke-Unmount'), WIN_HELPER.indexOf('$script:pool = $null'));
    expect(unmount.indexOf('if (-not $req.force)')).toBeLessThan(unmount.indexOf('Remove-SmbMapping'));
    expect(unmount).toContain('busy = $true; openFiles = $opens');
    expect(WIN_HELPER).toContain('[int]$c.NumOpens');
  });
});
