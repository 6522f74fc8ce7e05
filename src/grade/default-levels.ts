import type { Level } from './levels.js';

/**
 * Built-in severity by Event reason, as an experienced troubleshooter grades them.
 * Reasons not listed fall back on the Event type: Warning → warning, Normal → normal.
 * Node Problem Detector reasons (npd/) must appear here: test/unit/npd-reasons.test.ts keeps them in step.
 */
export const DEFAULT_REASON_LEVELS: Readonly<Record<string, Level>> = {
  // Routine pod lifecycle.
  Scheduled: 'info',
  Pulling: 'info',
  Pulled: 'info',
  Created: 'info',
  Started: 'info',
  Killing: 'info',
  SandboxChanged: 'normal',
  // Controllers doing their job.
  SuccessfulCreate: 'normal',
  SuccessfulDelete: 'normal',
  ScalingReplicaSet: 'normal',
  SuccessfulRescale: 'normal',
  Completed: 'normal',
  SawCompletedJob: 'normal',
  NodeReady: 'normal',
  NodeSchedulable: 'normal',
  RegisteredNode: 'normal',
  LeaderElection: 'normal',
  // Node Problem Detector checks back to healthy (or Unknown) after a problem (npd/).
  ConntrackTableNotFull: 'normal',
  DNSResolutionWorks: 'normal',
  ClockSynchronized: 'normal',
  // Something is wrong but may heal.
  BackOff: 'warning',
  Unhealthy: 'warning',
  FailedScheduling: 'warning',
  ProbeWarning: 'warning',
  Failed: 'warning',
  FailedKillPod: 'warning',
  BackoffLimitExceeded: 'warning',
  NodeNotSchedulable: 'warning',
  Rebooted: 'warning',
  UnregisterNetDevice: 'warning',
  Ext4Warning: 'warning',
  DNSResolutionFailed: 'warning',
  ClockNotSynchronized: 'warning',
  // Container failures read from Pod status (src/pods/, podFailures). `Evicted` is graded above
  // as the Event reason (error) and stays so for pod failure lines.
  Error: 'warning',
  ContainerCannotRun: 'warning',
  DeadlineExceeded: 'warning',
  CrashLoopBackOff: 'warning',
  ImagePullBackOff: 'warning',
  ErrImagePull: 'warning',
  InvalidImageName: 'warning',
  CreateContainerConfigError: 'warning',
  CreateContainerError: 'warning',
  RunContainerError: 'warning',
  // Workloads are hurt.
  OOMKilled: 'error',
  OOMKilling: 'error',
  Evicted: 'error',
  FailedMount: 'error',
  FailedAttachVolume: 'error',
  NodeNotReady: 'error',
  ConntrackFull: 'error',
  FailedCreatePodSandBox: 'error',
  ContainerGCFailed: 'error',
  ImageGCFailed: 'error',
  EvictionThresholdMet: 'error',
  Ext4Error: 'error',
  IOError: 'error',
  MemoryReadError: 'error',
  ContainerRuntimePanic: 'error',
  ContainerRuntimeNoSpace: 'error',
  CorruptDockerImage: 'error',
  // The node itself is compromised.
  KernelOops: 'fatal',
  TaskHung: 'fatal',
  KernelDeadlock: 'fatal',
  DockerHung: 'fatal',
  ContainerdHung: 'fatal',
  XfsHasShutdown: 'fatal',
  SystemOOM: 'fatal',
  FilesystemIsReadOnly: 'fatal',
  ContainerdUnhealthy: 'fatal',
};
