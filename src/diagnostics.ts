import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * The exporter's own log: always stderr, so stdout carries event lines and nothing else.
 * Synchronous, so the last words before an exit are never lost in a buffer. `pretty` is
 * kubernetes-event-exporter's `logFormat: pretty`, for people reading a terminal.
 */
export function createDiagnostics(level: 'debug' | 'info' | 'warn' | 'error' = 'info', format: 'json' | 'pretty' = 'json'): Logger {
  const options = { level, base: { component: 'kube-eventline' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'pretty') return pino(options, pretty({ destination: 2, sync: true, colorize: false, ignore: 'component' }));
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
