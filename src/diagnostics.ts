import pino, { type Logger } from 'pino';

/**
 * The exporter's own log: always stderr, so stdout carries event lines and nothing else.
 * Synchronous, so the last words before an exit are never lost in a buffer.
 */
export function createDiagnostics(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  return pino(
    { level, base: { component: 'kube-eventline' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}
