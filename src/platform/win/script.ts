// The Windows adapter's one PowerShell program: a long-lived helper. It is started once with
//   powershell.exe -NoProfile -NonInteractive -NoLogo -EncodedCommand <BOOTSTRAP>
// whose tiny constant bootstrap reads the helper's text (base64) from the first line of stdin and
// runs it; after that every request is one JSON line on stdin and every answer one JSON line on
// stdout, tagged with the request's id. So one PowerShell start (0.5-1.5 s of CPU on a typical PC)
// serves every check and mount for the life of the tray, instead of one per check.
//
// Why this shape:
// - Execution policy applies to script files, not to commands (about_Execution_Policies): a
//   Group Policy that sets AllSigned or Restricted overrides `-ExecutionPolicy Bypass` and stops a
//   `-File script.ps1`, but not -EncodedCommand or a script block built from text. Nothing is
//   written to disk, so there is no script file to tamper with either.
// - EVERY value (server, share, drive, label, user name, password) is data in a JSON request on
//   stdin, never part of the program text: no value can become code however it is quoted, and
//   script-block logging, which records code, never sees the password. The JSON we send is pure
//   ASCII (\uXXXX escapes), because Windows PowerShell 5.1 decodes stdin with the console's OEM
//   code page; for the same reason the helper escapes every non-ASCII character of its answers.
// - The probe touches the share (Get-Item X:\, Get-PSDrive) in a runspace of a small pool with a
//   deadline: a hung share holds that runspace, never the helper, which answers "timedOut" at the
//   deadline and goes on serving. The cheap look reads only the SMB client's own bookkeeping
//   (Get-SmbMapping, Get-SmbConnection: CIM queries to the local SMB client, no server round trip).
// - Remove-SmbMapping -Force closes whatever is open on the drive (files, Explorer windows), so the
//   helper refuses to unmount while Get-SmbConnection counts open handles (NumOpens) on the share,
//   unless the request says force (the user confirmed).
//
// Sources (Microsoft Learn): powershell.exe command-line help (-EncodedCommand: base64 of UTF-16LE),
// about_Execution_Policies, New-SmbMapping, Get-SmbMapping, Remove-SmbMapping, Get-SmbConnection
// (MSFT_SmbConnection.NumOpens), MSFT_SmbMapping (Status 0 OK, 1 Paused, 2 Disconnected,
// 3 NetworkError, 4 Connecting, 5 Reconnecting, 6 Unavailable), System Error Codes,
// System.Management.Automation.PowerShell.BeginInvoke and RunspaceFactory.CreateRunspacePool;
// Explorer's MountPoints2 key for labels. Failures surface as "Windows System Error <code>,
// New-SmbMapping" in FullyQualifiedErrorId.
//
// Choices kept from the first version:
// - `-Persistent $true -SaveCredentials`: the mapping survives sign-out and reboot, and Windows
//   keeps the credential in Credential Manager (the OS keychain, where rule 6 allows secrets) so
//   Explorer reconnects X: at sign-in before Pillars starts.
// - Error 1219 (one credential per server per sign-in session): before mapping we read
//   Get-SmbConnection -ServerName and refuse with a clear message when another user name holds a
//   connection; Pillars always passes the same user string so its own mappings never collide.
// - Labels are written to HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer\MountPoints2\
//   ##server#share, value _LabelFromReg, BEFORE mapping, so Explorer shows "Flux" from the start.

export const PS_ARGS = ['-NoProfile', '-NonInteractive', '-NoLogo', '-EncodedCommand'] as const;

/** Reads the helper (base64 UTF-8) from stdin's first line and runs it in this scope. */
export const BOOTSTRAP = "$ErrorActionPreference = 'Stop'; $t = [Console]::In.ReadLine(); . ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($t))))";

/** -EncodedCommand takes base64 of the UTF-16LE text. */
export const BOOTSTRAP_ENCODED = Buffer.from(BOOTSTRAP, 'utf16le').toString('base64');

export const WIN_HELPER = String.raw`# Pillars SMB helper (long-lived). One JSON request per line on stdin, one JSON answer per line
# on stdout with the request's id. No value is ever part of this text.
$ProgressPreference = 'SilentlyContinue'
$script:reqId = $null

function Write-Result($value) {
  $value['id'] = $script:reqId
  $json = ConvertTo-Json -InputObject $value -Depth 6 -Compress
  $json = [regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
  [Console]::Out.WriteLine($json)
  [Console]::Out.Flush()
}

function Get-ErrorCode($err) {
  if ([string]$err.FullyQualifiedErrorId -match 'Windows System Error (\d+)') { return [int]$Matches[1] }
  $e = $err.Exception
  if ($null -eq $e) { $e = $err }
  while ($null -ne $e) {
    if ($e -is [System.ComponentModel.Win32Exception]) { return [int]$e.NativeErrorCode }
    if ($e.ErrorRecord -and [string]$e.ErrorRecord.FullyQualifiedErrorId -match 'Windows System Error (\d+)') { return [int]$Matches[1] }
    $h = '{0:X8}' -f $e.HResult
    if ($h.StartsWith('8007')) { return [Convert]::ToInt32($h.Substring(4), 16) }
    $e = $e.InnerException
  }
  return $null
}

function Write-Failure($err) {
  Write-Result ([ordered]@{ ok = $false; code = (Get-ErrorCode $err); message = [string]$err.Exception.Message })
}

function Get-Mappings([string]$drive) {
  if ($drive) { $found = Get-SmbMapping -LocalPath $drive -ErrorAction SilentlyContinue }
  else { $found = Get-SmbMapping -ErrorAction Stop }
  $rows = @($found | ForEach-Object {
    [ordered]@{ LocalPath = [string]$_.LocalPath; RemotePath = [string]$_.RemotePath; Status = [int]$_.Status }
  })
  return ,$rows
}

# Open handles per \\server\share of this session (files, folders, Explorer windows).
function Get-OpenCounts {
  $counts = @{}
  foreach ($c in @(Get-SmbConnection -ErrorAction SilentlyContinue)) {
    $key = ('\\' + [string]$c.ServerName + '\' + [string]$c.ShareName).ToLowerInvariant()
    $counts[$key] = [int]$counts[$key] + [int]$c.NumOpens
  }
  return $counts
}

function Get-BareUser([string]$name) {
  $name = ($name -split '\\')[-1]
  return ($name -split '@')[0]
}

function Set-DriveLabel($req) {
  $path = 'Software\Microsoft\Windows\CurrentVersion\Explorer\MountPoints2\##' + [string]$req.host + '#' + [string]$req.share
  $key = [Microsoft.Win32.Registry]::CurrentUser.CreateSubKey($path)
  try { $key.SetValue('_LabelFromReg', [string]$req.label, [Microsoft.Win32.RegistryValueKind]::String) }
  finally { $key.Close() }
}

function Invoke-Look($req) {
  $all = @(Get-Mappings '')
  $counts = Get-OpenCounts
  $rows = @(foreach ($d in @($req.drives)) {
    $m = @($all | Where-Object { $_.LocalPath -eq [string]$d })
    if ($m.Count -eq 0) { [ordered]@{ drive = [string]$d; mapped = $false } }
    else { [ordered]@{ drive = [string]$d; mapped = $true; remote = $m[0].RemotePath; status = $m[0].Status; opens = [int]$counts[$m[0].RemotePath.ToLowerInvariant()] } }
  })
  Write-Result ([ordered]@{ ok = $true; drives = $rows })
}

function Invoke-Mount($req) {
  $remote = '\\' + [string]$req.host + '\' + [string]$req.share
  Set-DriveLabel $req
  foreach ($m in (Get-Mappings ([string]$req.drive))) {
    if ($m.RemotePath -ne $remote) {
      Write-Result ([ordered]@{ ok = $false; code = 85; message = ('{0} is already mapped to {1}' -f $req.drive, $m.RemotePath) })
      return
    }
    if ($m.Status -eq 0) { Write-Result ([ordered]@{ ok = $true; already = $true }); return }
    Remove-SmbMapping -LocalPath ([string]$req.drive) -Force -UpdateProfile -ErrorAction SilentlyContinue
  }
  $letter = [string]$req.drive + '\'
  $local = @([System.IO.DriveInfo]::GetDrives() | Where-Object { $_.Name -eq $letter -and $_.DriveType -ne [System.IO.DriveType]::Network })
  if ($local.Count -gt 0) {
    Write-Result ([ordered]@{ ok = $false; code = 85; message = ('{0} is a local drive' -f $req.drive) })
    return
  }
  $connections = @()
  try { $connections = @(Get-SmbConnection -ServerName ([string]$req.host) -ErrorAction Stop) } catch { $connections = @() }
  foreach ($c in $connections) {
    $cred = [string]$c.Credential
    if ($cred -and ((Get-BareUser $cred) -ne (Get-BareUser ([string]$req.user)))) {
      Write-Result ([ordered]@{ ok = $false; code = 1219; message = ('a connection to {0} already uses the credential {1}' -f $req.host, $cred) })
      return
    }
  }
  New-SmbMapping -LocalPath ([string]$req.drive) -RemotePath $remote -UserName ([string]$req.user) -Password ([string]$req.password) -Persistent $true -SaveCredentials -ErrorAction Stop | Out-Null
  Write-Result ([ordered]@{ ok = $true; already = $false })
}

function Invoke-Unmount($req) {
  $m = @(Get-Mappings ([string]$req.drive))
  if ($m.Count -gt 0) {
    if (-not $req.force) {
      $opens = [int](Get-OpenCounts)[$m[0].RemotePath.ToLowerInvariant()]
      if ($opens -gt 0) { Write-Result ([ordered]@{ ok = $false; busy = $true; openFiles = $opens; code = $null; message = ('{0} open on {1}' -f $opens, $req.drive) }); return }
    }
    Remove-SmbMapping -LocalPath ([string]$req.drive) -Force -UpdateProfile -ErrorAction Stop
  }
  Write-Result ([ordered]@{ ok = $true })
}

$script:pool = $null
$script:probeScript = {
  param($drive)
  $null = Get-Item -LiteralPath ($drive + '\') -Force -ErrorAction Stop
  $d = Get-PSDrive -Name $drive.Substring(0, 1) -PSProvider FileSystem -ErrorAction Stop
  [ordered]@{ free = $d.Free; used = $d.Used }
}

function Invoke-Probe($req) {
  $m = Get-Mappings ([string]$req.drive)
  if ($m.Count -eq 0) { Write-Result ([ordered]@{ ok = $true; mapped = $false }); return }
  $status = $m[0].Status
  if ($null -eq $script:pool) {
    $script:pool = [RunspaceFactory]::CreateRunspacePool(1, 4)
    $script:pool.Open()
  }
  $ps = [PowerShell]::Create()
  $ps.RunspacePool = $script:pool
  [void]$ps.AddScript($script:probeScript).AddArgument([string]$req.drive)
  $async = $ps.BeginInvoke()
  if (-not $async.AsyncWaitHandle.WaitOne([int]$req.timeoutMs)) {
    # the share does not answer: its runspace stays behind until Windows gives up; we go on
    Write-Result ([ordered]@{ ok = $true; mapped = $true; timedOut = $true; status = $status })
    return
  }
  try {
    $out = @($ps.EndInvoke($async))
    if ($ps.Streams.Error.Count -gt 0 -or $out.Count -eq 0) {
      $e = $ps.Streams.Error[0]
      Write-Result ([ordered]@{ ok = $true; mapped = $true; reachable = $false; status = $status; code = (Get-ErrorCode $e); message = [string]$e.Exception.Message })
    } else {
      Write-Result ([ordered]@{ ok = $true; mapped = $true; reachable = $true; status = $status; free = $out[0].free; used = $out[0].used })
    }
  } catch {
    Write-Result ([ordered]@{ ok = $true; mapped = $true; reachable = $false; status = $status; code = (Get-ErrorCode $_); message = [string]$_.Exception.Message })
  } finally {
    $ps.Dispose()
  }
}

while ($true) {
  $line = [Console]::In.ReadLine()
  if ($null -eq $line) { break }
  if (-not $line.Trim()) { continue }
  $script:reqId = $null
  try {
    $req = ConvertFrom-Json -InputObject $line
    $script:reqId = $req.id
    switch ([string]$req.op) {
      'list' { Write-Result ([ordered]@{ ok = $true; mappings = (Get-Mappings '') }) }
      'look' { Invoke-Look $req }
      'label' { Set-DriveLabel $req; Write-Result ([ordered]@{ ok = $true }) }
      'mount' { Invoke-Mount $req }
      'unmount' { Invoke-Unmount $req }
      'probe' { Invoke-Probe $req }
      default { Write-Result ([ordered]@{ ok = $false; code = $null; message = 'unknown operation' }) }
    }
  } catch {
    Write-Failure $_
  }
}
`;

/** The helper as the first stdin line the bootstrap reads. */
export const WIN_HELPER_LINE = Buffer.from(WIN_HELPER, 'utf8').toString('base64');
