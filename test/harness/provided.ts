import type { ControlInfo } from './control.js';
import type { KubeInfo } from './kube.js';
import type { LokiInfo } from './loki.js';

/** What the global setup hands to test workers through vitest's provide/inject. */
export interface HarnessInfo {
  kube: KubeInfo;
  loki: LokiInfo;
  control: ControlInfo;
  /** Folder with this run's server logs. */
  runDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    harness: HarnessInfo;
  }
}
