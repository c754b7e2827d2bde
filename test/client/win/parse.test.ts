// Windows output parsers over sample outputs (test/fixtures/platform/win), error-code mapping, and
// the invariants of the PowerShell script text (Windows cannot run here; the script is checked as text).
import { describe, expect, it } from 'vitest';
import { parseNetUse, parseSmbMappingJson, splitUnc, statusHealthy, statusName, statusNumber, winErrorOutcome } from '../../../src/platform/win/parse';
import { WIN_SCRIPT } from '../../../src/platform/win/script';
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

describe('the PowerShell script text', () => {
  it('is ASCII (Windows PowerShell 5.1 reads a BOM-less .ps1 in the ANSI code page)', () => {
    expect(/^[\t\n\r\x20-\x7e]*$/.test(WIN_SCRIPT)).toBe(true);
  });

  it('takes its input only from stdin as JSON and never evaluates text', () => {
    expect(WIN_SCRIPT).toContain('ConvertFrom-Json -InputObject ([Console]::In.ReadToEnd())');
    for (const evil of [/Invoke-Expression/i, /\biex\b/i, /\[scriptblock\]::Create/i, /ExpandString/i, /Add-Type/i, /Start-Process/i, /\$args/, /\$input\b/i]) {
      expect(evil.test(WIN_SCRIPT), String(evil)).toBe(false);
    }
  });

  it('uses only the request fields the adapter sends', () => {
    const used = new Set([...WIN_SCRIPT.matchAll(/\$req\.(\w+)/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(['drive', 'host', 'label', 'op', 'password', 'share', 'user']);
  });

  it('maps, checks and labels as documented', () => {
    expect(WIN_SCRIPT).toContain('New-SmbMapping -LocalPath ([string]$req.drive) -RemotePath $remote -UserName ([string]$req.user) -Password ([string]$req.password) -Persistent $true -SaveCredentials');
    expect(WIN_SCRIPT).toContain('Remove-SmbMapping -LocalPath ([string]$req.drive) -Force -UpdateProfile');
    expect(WIN_SCRIPT).toContain('Get-SmbConnection -ServerName ([string]$req.host)');
    expect(WIN_SCRIPT).toContain("Explorer\\MountPoints2\\##' + [string]$req.host + '#' + [string]$req.share");
    expect(WIN_SCRIPT).toContain("SetValue('_LabelFromReg'");
    expect(WIN_SCRIPT.indexOf('Set-DriveLabel $req\n  foreach')).toBeLessThan(WIN_SCRIPT.indexOf('New-SmbMapping'));
    expect(WIN_SCRIPT).toContain('ConvertTo-Json -InputObject $value');
    expect(WIN_SCRIPT).toContain('Status = [int]$_.Status');
    expect(WIN_SCRIPT).toContain("'Windows System Error (\\d+)'");
    expect(WIN_SCRIPT).toContain("$h = '{0:X8}' -f $e.HResult");
    expect(WIN_SCRIPT).toContain("Get-Item -LiteralPath ([string]$req.drive + '\\') -Force -ErrorAction Stop");
  });
});
