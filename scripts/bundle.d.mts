export declare const nodeOptions: Record<string, unknown>;
export declare function bundleServer(entry: string, outdir: string): Promise<string>;
export declare function bundleFile(entry: string, outfile: string, extra?: Record<string, unknown>): Promise<string>;
