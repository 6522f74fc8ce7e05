/**
 * check-config warnings for webhook secrets written into the config itself (a ConfigMap is
 * no place for them): an endpoint that carries a token, a header that looks like a credential,
 * a signing secret. A value that came from `${VAR}` or a `…File` key draws none.
 */
import type { ConfigWarning } from '../../config/config-warnings.js';
import { asArray, asRecord } from '../../config/raw-config.js';

/** Query parameters and path shapes that hold a chat webhook's token. */
const TOKEN_PARAMETERS = /^(access_token|token|key|sig|code|apikey|api_key|secret)$/i;
const TOKEN_PATHS = [/hooks\.slack\.com\/services\/./i, /\/webhookb2\//i, /\/IncomingWebhook\//i];
const CREDENTIAL_HEADERS = /authorization|token|secret|api[-_]?key|password|cookie/i;

function endpointHoldsToken(endpoint: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.username || url.password) return true;
  if ([...url.searchParams.keys()].some((name) => TOKEN_PARAMETERS.test(name))) return true;
  return TOKEN_PATHS.some((pattern) => pattern.test(endpoint));
}

const ADVICE = 'write ${VARIABLE} (from a Secret through the environment) or use the matching …File key (a mounted Secret)';

/** `fromVariable(path)`: whether the value at path was written with a `${VAR}` reference. */
export function inlineSecretWarnings(file: Record<string, unknown>, fromVariable: (path: Array<string | number>) => boolean): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  asArray(file.receivers).forEach((receiver, index) => {
    const webhook = asRecord(asRecord(receiver)?.webhook);
    if (!webhook) return;
    const at = (...rest: Array<string | number>) => ['receivers', index, 'webhook', ...rest];
    if (typeof webhook.endpoint === 'string' && endpointHoldsToken(webhook.endpoint) && !fromVariable(at('endpoint'))) {
      warnings.push({ path: at('endpoint'), message: `the endpoint holds a token written in the config: ${ADVICE} (endpointFile)` });
    }
    for (const [name, value] of Object.entries(asRecord(webhook.headers) ?? {})) {
      if (typeof value === 'string' && CREDENTIAL_HEADERS.test(name) && !fromVariable(at('headers', name))) {
        warnings.push({ path: at('headers', name), message: `header "${name}" looks like a credential written in the config: ${ADVICE} (headerFiles)` });
      }
    }
    if (webhook.secret !== undefined && !fromVariable(at('secret'))) {
      warnings.push({ path: at('secret'), message: `the signing secret is written in the config: ${ADVICE} (secretFile)` });
    }
  });
  return warnings;
}
