export declare const REPO: string;
export declare const PREREQUISITES: Map<string, string>;
export declare const NOT_PROGRAMS: Map<string, string>;
export declare const OWNER_SUPPLIED: Map<string, string>;
export declare const NOT_LINUX: { folder: string; names: string[]; why: string }[];
export declare const DYNAMIC: { file: string; expr: string | RegExp; programs: string[]; why: string }[];
export declare function scannedFiles(): string[];
/** programs found (with file:line where), and the scan's own problems */
export declare function scan(files?: string[]): { found: Map<string, Set<string>>; problems: string[] };
export declare function notLinux(program: string, wheres: Iterable<string>): boolean;
export declare function listedPackages(): string[];
export declare function dependencyClosure(packages: string[]): Set<string>;
export declare function resolveProgram(program: string, searchPath?: string): string | undefined;
export declare function owningPackages(files: string[]): string[][];
export interface ProgramProblem {
  program: string;
  at?: string;
  packages?: string[];
  message: string;
}
export declare function checkPrograms(programs: Iterable<string>, packages: string[], opts?: { searchPath?: string; closure?: Set<string> }): ProgramProblem[];
export declare function checkAll(): { found: Map<string, Set<string>>; programs: string[]; problems: string[] };
