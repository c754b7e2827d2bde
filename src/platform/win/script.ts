// The one PowerShell script the Windows adapter runs, as constant text. It is written to the private
// runtime folder and started with
//   powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File <runtime>\pillars-smb.ps1
// and EVERY value — server, share, drive, label, user name, password — arrives as one JSON document
// on stdin ([Console]::In.ReadToEnd()). Nothing is spliced into the text, so no value can become
// code, however it is quoted, and script-block logging (which records code) never sees the password.
// The JSON we send is pure ASCII (\uXXXX escapes), because Windows PowerShell 5.1 decodes stdin with
// the console's OEM code page; for the same reason the script escapes every non-ASCII character of
// its answer. The answer is one JSON object: {"ok":true,…} or {"ok":false,"code":<Win32 error>,"message":…}.
//
// Sources (Microsoft Learn): New-SmbMapping, Get-SmbMapping, Remove-SmbMapping, Get-SmbConnection,
// MSFT_SmbMapping (Status 0 OK, 1 Paused, 2 Disconnected, 3 NetworkError, 4 Connecting,
// 5 Reconnecting, 6 Unavailable), System Error Codes; Explorer's MountPoints2 key for labels.
// Failures surface as "Windows System Error <code>,New-SmbMapping" in FullyQualifiedErrorId.
//
// Choices:
// - `-Persistent $true -SaveCredentials`: the mapping survives sign-out and reboot, and Windows
//   keeps the credential in Credential Manager (the OS keychain, where rule 6 allows secrets) so
//   Explorer reconnects X: at sign-in before Pillars starts. A rotated password is overwritten by
//   the next mapping Pillars makes after its auth-failure heal.
// - Error 1219 (one credential per server per sign-in session): before mapping we read
//   Get-SmbConnection -ServerName and refuse with a clear message when another user name holds a
//   connection; Pillars always passes the same user string so its own mappings never collide.
// - Labels are written to HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer\MountPoints2\
//   ##server#share, value _LabelFromReg, BEFORE mapping, so Explorer shows "Flux" from the start.
// - Probe: Get-Item X:\ then Get-PSDrive in this short-lived child; on a hung share they block and
//   the adapter stops waiting at the deadline (the child is killed). A failure carries its Win32
//   code (from the exception's HRESULT 0x8007xxxx), so a password rotated under a live mapping
//   (1326, 86) is told apart from an unreachable server.
export const WIN_SCRIPT_NAME = 'pillars-smb.ps1';

export const WIN_SCRIPT = String.raw`# Pillars SMB helper (generated; rewritten by Pillars when it differs). Input: one JSON document on
# stdin. Output: one JSON object on stdout. No value is ever part of this text.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Write-Result($value) {
  $json = ConvertTo-Json -InputObject $value -Depth 6 -Compress
  $json = [regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
  [Console]::Out.Write($json)
}

function Get-ErrorCode($err) {
  if ([string]$err.FullyQualifiedErrorId -match 'Windows System Error (\d+)') { return [int]$Matches[1] }
  $e = $err.Exception
  while ($null -ne $e) {
    if ($e -is [System.ComponentModel.Win32Exception]) { return [int]$e.NativeErrorCode }
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
  if ((Get-Mappings ([string]$req.drive)).Count -gt 0) {
    Remove-SmbMapping -LocalPath ([string]$req.drive) -Force -UpdateProfile -ErrorAction Stop
  }
  Write-Result ([ordered]@{ ok = $true })
}

function Invoke-Probe($req) {
  $m = Get-Mappings ([string]$req.drive)
  if ($m.Count -eq 0) { Write-Result ([ordered]@{ ok = $true; mapped = $false }); return }
  $status = $m[0].Status
  try {
    $null = Get-Item -LiteralPath ([string]$req.drive + '\') -Force -ErrorAction Stop
  } catch {
    Write-Result ([ordered]@{ ok = $true; mapped = $true; reachable = $false; status = $status; code = (Get-ErrorCode $_); message = [string]$_.Exception.Message })
    return
  }
  $name = ([string]$req.drive).Substring(0, 1)
  $d = Get-PSDrive -Name $name -PSProvider FileSystem -ErrorAction Stop
  Write-Result ([ordered]@{ ok = $true; mapped = $true; reachable = $true; status = $status; free = $d.Free; used = $d.Used })
}

try {
  $req = ConvertFrom-Json -InputObject ([Console]::In.ReadToEnd())
  switch ([string]$req.op) {
    'list' { Write-Result ([ordered]@{ ok = $true; mappings = (Get-Mappings '') }) }
    'label' { Set-DriveLabel $req; Write-Result ([ordered]@{ ok = $true }) }
    'mount' { Invoke-Mount $req }
    'unmount' { Invoke-Unmount $req }
    'probe' { Invoke-Probe $req }
    default { Write-Result ([ordered]@{ ok = $false; code = $null; message = 'unknown operation' }) }
  }
} catch {
  Write-Failure $_
}
`;
