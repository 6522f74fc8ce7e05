/**
 * A webhook's secrets: the endpoint, headers and DingTalk signing secret, as written (usually
 * `${VAR}`, expanded at load) or read from files (a mounted Secret) when the receiver starts.
 * Messages name the receiver and the file, never a secret's value.
 */
import { readFileSync } from 'node:fs';
import type { WebhookReceiverConfig } from './webhook-schema.js';

export class WebhookSecretError extends Error {
  constructor(receiver: string, what: string, path: string, reason: string) {
    super(`receiver "${receiver}": cannot read ${what} from ${path}: ${reason}`);
    this.name = 'WebhookSecretError';
  }
}

export interface WebhookSecrets {
  endpoint: string;
  headers: Record<string, string>;
  signingSecret?: string;
}

function readSecret(receiver: string, what: string, path: string): string {
  let value: string;
  try {
    value = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WebhookSecretError(receiver, what, path, code === 'ENOENT' ? 'file not found' : (code ?? (err as Error).message));
  }
  // a Secret written with `echo` ends with a newline that is not part of the value
  value = value.replace(/\r?\n$/, '');
  if (value === '') throw new WebhookSecretError(receiver, what, path, 'the file is empty');
  return value;
}

export function readWebhookSecrets(config: WebhookReceiverConfig): WebhookSecrets {
  const endpoint = config.endpointFile ? readSecret(config.name, 'the endpoint', config.endpointFile) : config.endpoint!;
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new WebhookSecretError(config.name, 'the endpoint', config.endpointFile ?? 'endpoint', 'not an http:// or https:// URL');
  }
  const headers = { ...config.headers };
  for (const [name, path] of Object.entries(config.headerFiles)) {
    const value = readSecret(config.name, `header ${name}`, path);
    if (/[\r\n\0]/.test(value)) throw new WebhookSecretError(config.name, `header ${name}`, path, 'the value holds a line break');
    headers[name] = value;
  }
  const signingSecret = config.secretFile ? readSecret(config.name, 'the signing secret', config.secretFile) : config.secret;
  return { endpoint, headers, ...(signingSecret !== undefined ? { signingSecret } : {}) };
}
