// Mode `include`: the admin's smb.conf stays theirs and pulls in the file we own. Our file opens
// with its own [global] section, so the include line may stand anywhere between sections; but any
// parameter after it would land in our last share, so it must be followed by a section or the end.
const INCLUDE_RE = /^\s*include\s*=\s*(.*?)\s*$/i;

export interface IncludeCheck {
  ok: boolean;
  problem: string | null;
  /** Index of the include line in the file's lines. */
  line: number;
}

export function checkIncludePlacement(configText: string, configFile: string, includeFile: string): IncludeCheck {
  const lines = configText.split('\n');
  const idx = lines.findIndex((l) => {
    const m = INCLUDE_RE.exec(l);
    return m !== null && m[1] === includeFile;
  });
  const how = `add the line 'include = ${includeFile}' at the end of ${configFile}`;
  if (idx < 0) return { ok: false, line: -1, problem: `${configFile} does not include ${includeFile}: ${how}` };
  for (let i = idx + 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (!l || l.startsWith('#') || l.startsWith(';')) continue;
    if (/^\[.*\]$/.test(l)) break;
    return {
      ok: false,
      line: idx,
      problem: `${configFile} line ${i + 1} sets a parameter after 'include = ${includeFile}' (line ${idx + 1}); it would belong to the last pillar share: move the include to the end of the file or before a [section]`,
    };
  }
  return { ok: true, line: idx, problem: null };
}

/** The admin's config with our include pointed at a candidate file, for testparm before apply. */
export function withIncludeAt(configText: string, line: number, candidatePath: string): string {
  const lines = configText.split('\n');
  lines[line] = `include = ${candidatePath}`;
  return lines.join('\n');
}
