// Types of jsonnet/engine.mjs for the TypeScript tests.
export type JsonnetTool = 'jsonnet' | 'jsonnetfmt' | 'jsonnet-lint';
export declare const TOOLS_MODULE_DIR: string;
export declare const TOOLS_CACHE_DIR: string;
export declare function engineTool(tool: JsonnetTool, options?: { log?: (line: string) => void }): Promise<string>;
export declare function buildEngine(options?: { log?: (line: string) => void }): Promise<void>;
export declare function runTool(tool: JsonnetTool, args: string[]): Promise<string>;
export declare function jsonnetFiles(dir?: string): string[];
export declare function unformatted(files: string[]): Promise<string[]>;
export declare function lintFindings(files: string[], jpath?: string): Promise<string[]>;
