// Per-call CPU costs on the platforms that cannot run here, for bench/probe-cost.ts. These are
// RECORDED ESTIMATES, not measurements of this code: no Windows PC or Mac is available to the
// project's CI. Each says where it comes from and is deliberately on the high side, so the verdict
// errs against us. Replace them with recordings from a real machine when one is at hand:
//   Windows: Measure-Command plus (Get-Process -Id $pid).TotalProcessorTime before and after 100
//            requests of each kind sent to the helper; `powershell.exe -NoProfile -Command exit`
//            under the same measure for the start.
//   macOS:   /usr/bin/time -l on 100 runs of `/sbin/mount` and `/bin/df -P -k <mount>`.

/** Windows PowerShell 5.1, milliseconds of CPU per call (the helper's process plus the WMI provider host). */
export const WIN_COSTS_MS = {
  /** powershell.exe -NoProfile start to its first command: 0.5-1.5 s wall on a typical PC (Microsoft's PowerShell team blog on start-up performance; docs/platforms.md), most of it CPU: taken as 600 ms */
  powershellStart: 600,
  /** Get-SmbMapping + Get-SmbConnection in a warm session: two CIM queries to the local SMB client provider, taken as 60 ms including the provider host */
  look: 60,
  /** a pooled runspace running Get-Item X:\ and Get-PSDrive on a healthy share, taken as 30 ms */
  probe: 30,
} as const;

/** macOS, milliseconds of CPU per call. */
export const MAC_COSTS_MS = {
  /** posix_spawn of a small system binary (/sbin/mount, /bin/df) through Node and its run: taken as 8 ms (twice what the same through our worker costs on Linux here) */
  smallChild: 8,
} as const;

export const SOURCES = 'Windows: a PowerShell start 600 ms, a look (two CIM queries) 60 ms, a probe 30 ms; macOS: a small child (mount, df) 8 ms; all estimates on the high side, not recordings';
