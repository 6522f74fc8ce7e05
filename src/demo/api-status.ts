/**
 * metav1.Status failures in the shape kube-apiserver sends them, so clients that read
 * `code`/`reason` (410 Expired, 409 Conflict, 404 NotFound) behave as against a real server.
 */
export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
}

export class ApiStatusError extends Error {
  constructor(readonly status: StatusObject) {
    super(status.message);
    this.name = 'ApiStatusError';
  }
}

function failure(code: number, reason: string, message: string, details?: StatusObject['details']): StatusObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function qualified(plural: string, group: string): string {
  return group === '' ? plural : `${plural}.${group}`;
}

export function notFound(plural: string, group: string, name: string): StatusObject {
  return failure(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, {
    name,
    ...(group === '' ? {} : { group }),
    kind: plural,
  });
}

export function pathNotFound(): StatusObject {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(plural: string, group: string, name: string): StatusObject {
  return failure(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, {
    name,
    ...(group === '' ? {} : { group }),
    kind: plural,
  });
}

export function conflict(plural: string, group: string, name: string): StatusObject {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, ...(group === '' ? {} : { group }), kind: plural },
  );
}

/** What the watch cache answers for a resourceVersion older than its window. */
export function tooOldResourceVersion(requested: number, oldestAvailable: number): StatusObject {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldestAvailable})`);
}

export function badRequest(message: string): StatusObject {
  return failure(400, 'BadRequest', message);
}

export function methodNotAllowed(method: string): StatusObject {
  return failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`, {});
}

export function unauthorized(): StatusObject {
  return failure(401, 'Unauthorized', 'Unauthorized');
}
