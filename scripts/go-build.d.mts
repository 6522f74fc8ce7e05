// Types of scripts/go-build.mjs for the TypeScript harness and tests.
export declare const PROGRESS_EVERY_MS: number;
export declare function sourceHash(moduleDir: string): string;
export declare function formatElapsed(ms: number): string;
export interface GoBuildProgressOptions {
  name: string;
  log: (line: string) => void;
  everyMs?: number;
  now?: () => number;
}
export declare class GoBuildProgress {
  constructor(options: GoBuildProgressOptions);
  readonly startedAt: number;
  readonly packages: number;
  readonly latest: string | undefined;
  feed(chunk: string): void;
  status(): string;
  start(): void;
  stop(): string;
}
export interface BuildGoBinaryOptions {
  moduleDir: string;
  pkg: string;
  name: string;
  cacheDir: string;
  /** What the binary is, for the announcement: "kube-apiserver, etcd and kubectl". */
  what?: string;
  /** How long a first build takes, for the announcement: "30–50 minutes on 2 cores". */
  expect?: string;
  log?: (line: string) => void;
  everyMs?: number;
  /** The go command (default `go` on PATH). */
  go?: string;
}
export declare function buildGoBinary(options: BuildGoBinaryOptions): Promise<string>;
