// Types of jsonnet/render.mjs for the TypeScript tests.
export declare const JSONNET_DIR: string;
export declare const REPO_ROOT: string;
export declare const RULES_FILE: string;
export declare const DIGEST_QUERIES_FILE: string;
export interface RenderOptions {
  /** Override of `_config`: an object (shallow merge) or jsonnet code such as `{ alertFor+: { oomKill: '0s' } }`. */
  config?: Record<string, unknown> | string;
}
export interface RuleGroups {
  groups: Array<{
    name: string;
    rules: Array<{ alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }>;
  }>;
}
export declare function sortKeys<T>(value: T): T;
export declare function evaluateMixin(
  options?: RenderOptions,
): Promise<{ config: Record<string, any>; dashboards: Record<string, any>; rules: RuleGroups; digestQueries: Record<string, any> }>;
export declare function dashboardText(dashboard: unknown): string;
export declare function rulesText(rules: unknown): string;
export declare function digestQueriesText(digestQueries: unknown): string;
export declare function render(options?: RenderOptions): Promise<Map<string, string>>;
export declare function drift(files: Map<string, string>, root?: string): string[];
