import { ConfigError } from '../../src/config/config-error.js';

/** The problems (one per line) of the ConfigError that `load` throws; fails if it throws none. */
export function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}
