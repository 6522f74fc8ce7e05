import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiResource, apiResourceList, findResource } from './api-resources.js';
import { ApiStatusError, badRequest, methodNotAllowed, notFound, pathNotFound, type StatusObject, unauthorized } from './api-status.js';
import type { ApiObject, ObjectStore, StoredChange } from './object-store.js';

export interface SimulatedApiServerOptions {
  store: ObjectStore;
  /** Bearer token every resource request must carry (401 otherwise), as with a real server. */
  token: string;
  /** How often watches that asked for bookmarks get one. */
  bookmarkIntervalMs: number;
  /** Told about every watch that starts, with the resource watched. */
  onWatch?: (resource: ApiResource) => void;
}

interface ResourceRequest {
  resource: ApiResource;
  namespace?: string;
  name?: string;
}

interface OpenWatch {
  bookmarks: boolean;
  /** Sends one watch event line. */
  send(type: string, object: object): void;
  end(): void;
}

/** Upper bound for request bodies; etcd refuses objects over about 1.5 MiB anyway. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * The HTTP face of the simulated cluster: the subset of the Kubernetes REST API that the exporter,
 * its enrichment and its checkpoint use, answering with the same JSON shapes, status codes and
 * watch stream framing as kube-apiserver.
 */
export class SimulatedApiServer {
  private readonly server: http.Server;
  private readonly watches = new Set<OpenWatch>();
  private bookmarkTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SimulatedApiServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const status = err instanceof ApiStatusError ? err.status : internalError(err);
        if (!res.headersSent) sendJson(res, status.code, status);
        else res.end();
      });
    });
  }

  /** Listens on 127.0.0.1 on a free port; resolves with the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.bookmarkTimer = setInterval(() => this.sendBookmarks(), this.options.bookmarkIntervalMs);
    this.bookmarkTimer.unref();
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Sends every bookmark-enabled watch the current resourceVersion: "you have seen everything up to here". */
  sendBookmarks(): void {
    const resourceVersion = String(this.options.store.currentResourceVersion);
    for (const watch of this.watches) {
      if (watch.bookmarks) watch.send('BOOKMARK', { kind: 'Event', apiVersion: 'v1', metadata: { resourceVersion } });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.bookmarkTimer);
    for (const watch of [...this.watches]) watch.end();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulated');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';

    if (req.headers.authorization !== `Bearer ${this.options.token}`) {
      sendJson(res, 401, unauthorized());
      return;
    }
    const discovery = method === 'GET' ? discoveryDocument(path) : undefined;
    if (discovery) {
      sendJson(res, 200, discovery);
      return;
    }
    const target = parseResourcePath(path);
    if (!target) {
      sendJson(res, 404, pathNotFound());
      return;
    }
    const isCollection = target.name === undefined;
    if (method === 'GET' && isCollection) {
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') this.watch(req, res, target, url.searchParams);
      else this.list(res, target, url.searchParams);
      return;
    }
    if (method === 'GET') {
      const found = this.options.store.get(target.resource, target.namespace, target.name!);
      if (!found) throw notFoundError(target);
      sendJson(res, 200, found);
      return;
    }
    if (!target.resource.writable) throw new ApiStatusError(methodNotAllowed(method));
    if (method === 'POST' && isCollection) {
      const body = withName(await readJsonObject(req), target);
      sendJson(res, 201, this.options.store.create(target.resource, body));
      return;
    }
    if (isCollection || method !== 'PUT') throw new ApiStatusError(methodNotAllowed(method));
    const body = await readJsonObject(req);
    if (body.metadata.name !== target.name) throw new ApiStatusError(badRequest('the name of the object does not match the name on the URL'));
    checkNamespace(body, target);
    sendJson(res, 200, this.options.store.update(target.resource, body, true));
  }

  private list(res: http.ServerResponse, target: ResourceRequest, query: URLSearchParams): void {
    const all = this.options.store.list(target.resource, target.namespace);
    const after = decodeContinue(query.get('continue'));
    const remaining = after === undefined ? all : all.filter((o) => listKey(o) > after);
    const limit = Number(query.get('limit') ?? '0');
    const page = limit > 0 ? remaining.slice(0, limit) : remaining;
    const more = remaining.length - page.length;
    const metadata: Record<string, unknown> = { resourceVersion: String(this.options.store.currentResourceVersion) };
    if (more > 0) {
      metadata.continue = encodeContinue(listKey(page[page.length - 1]!));
      metadata.remainingItemCount = more;
    }
    sendJson(res, 200, {
      kind: `${target.resource.kind}List`,
      apiVersion: target.resource.group ? `${target.resource.group}/${target.resource.version}` : target.resource.version,
      metadata,
      // Items of a list carry no kind/apiVersion, as kube-apiserver sends them.
      items: page.map(({ kind: _kind, apiVersion: _apiVersion, ...item }) => item),
    });
  }

  private watch(req: http.IncomingMessage, res: http.ServerResponse, target: ResourceRequest, query: URLSearchParams): void {
    const requested = query.get('resourceVersion') ?? '';
    if (requested !== '' && !/^\d+$/.test(requested)) throw new ApiStatusError(badRequest(`invalid resource version: "${requested}"`));

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    let timeout: NodeJS.Timeout | undefined;
    let unsubscribe: () => void = () => {};
    const watch: OpenWatch = {
      bookmarks: query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1',
      send: (type, object) => {
        if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
      },
      end: () => {
        clearTimeout(timeout);
        unsubscribe();
        this.watches.delete(watch);
        if (!res.writableEnded) res.end();
      },
    };
    req.on('close', () => watch.end());
    res.on('close', () => watch.end());

    const inScope = (change: StoredChange): boolean => target.namespace === undefined || change.object.metadata.namespace === target.namespace;

    // Backlog and subscription happen in one synchronous step, so no change can fall between them.
    let backlog: StoredChange[];
    if (requested === '' || requested === '0') {
      // No resourceVersion (or "any"): the current state as synthetic ADDED events, then live changes.
      backlog = this.options.store
        .list(target.resource, target.namespace)
        .map((object) => ({ type: 'ADDED' as const, object, resourceVersion: Number(object.metadata.resourceVersion) }));
    } else {
      try {
        backlog = this.options.store.changesSince(target.resource, Number(requested));
      } catch (err) {
        // A real server has already answered 200 here and reports the expiry inside the stream.
        if (!(err instanceof ApiStatusError)) throw err;
        watch.send('ERROR', err.status);
        watch.end();
        return;
      }
    }
    for (const change of backlog) if (inScope(change)) watch.send(change.type, change.object);
    unsubscribe = this.options.store.subscribe(target.resource, (change) => {
      if (inScope(change)) watch.send(change.type, change.object);
    });
    this.watches.add(watch);

    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) timeout = setTimeout(() => watch.end(), timeoutSeconds * 1000);
    this.options.onWatch?.(target.resource);
  }
}

/** `/api/v1[/namespaces/{ns}]/{plural}[/{name}]` and `/apis/{group}/{version}[/namespaces/{ns}]/{plural}[/{name}]`. */
export function parseResourcePath(path: string): ResourceRequest | undefined {
  const core = /^\/api\/(v1)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  const grouped = /^\/apis\/([^/]+)\/([^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  let group: string, version: string, namespace: string | undefined, plural: string, name: string | undefined;
  if (core) [, version, namespace, plural, name] = core as unknown as [string, string, string | undefined, string, string | undefined];
  else if (grouped)
    [, group, version, namespace, plural, name] = grouped as unknown as [string, string, string, string | undefined, string, string | undefined];
  else return undefined;
  group ??= '';
  const resource = findResource(group, version, plural);
  if (!resource) return undefined;
  if (namespace !== undefined && !resource.namespaced) return undefined;
  // A namespaced object needs its namespace; a namespaced collection may be read across all of them.
  if (resource.namespaced && name !== undefined && namespace === undefined) return undefined;
  return {
    resource,
    ...(namespace !== undefined ? { namespace: decodeURIComponent(namespace) } : {}),
    ...(name !== undefined ? { name: decodeURIComponent(name) } : {}),
  };
}

/** What the enricher asks to find a kind's resource name: `/api/v1` and `/apis/{group}/{version}`. */
function discoveryDocument(path: string): object | undefined {
  if (path === '/api/v1') return apiResourceList('', 'v1');
  const grouped = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  return grouped ? apiResourceList(grouped[1]!, grouped[2]!) : undefined;
}

function listKey(object: ApiObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function encodeContinue(afterKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'demo', after: afterKey })).toString('base64url');
}

function decodeContinue(token: string | null): string | undefined {
  if (!token) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through to the error below
  }
  throw new ApiStatusError(badRequest('continue key is not valid'));
}

function notFoundError(target: ResourceRequest): ApiStatusError {
  return new ApiStatusError(notFound(target.resource.plural, target.resource.group, target.name ?? ''));
}

function withName(body: ApiObject, target: ResourceRequest): ApiObject {
  checkNamespace(body, target);
  const generateName = body.metadata.generateName;
  if (!body.metadata.name && typeof generateName === 'string' && generateName !== '') {
    body.metadata.name = `${generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
  }
  if (!body.metadata.name) throw new ApiStatusError(badRequest('name or generateName is required'));
  return body;
}

/** The path's namespace wins; a different one in the body is refused, as by kube-apiserver. */
function checkNamespace(body: ApiObject, target: ResourceRequest): void {
  if (body.metadata.namespace && target.namespace && body.metadata.namespace !== target.namespace) {
    throw new ApiStatusError(badRequest('the namespace of the provided object does not match the namespace sent on the request'));
  }
  if (target.namespace) body.metadata.namespace = target.namespace;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiStatusError({ ...badRequest('request body too large'), code: 413, reason: 'RequestEntityTooLarge' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiStatusError(badRequest('the request body is not valid JSON'));
  }
}

async function readJsonObject(req: http.IncomingMessage): Promise<ApiObject> {
  const parsed = parseJson(await readBody(req));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiStatusError(badRequest('the request body must be an object'));
  const object = parsed as ApiObject;
  if (object.metadata === null || typeof object.metadata !== 'object') object.metadata = { name: '' };
  return object;
}

function sendJson(res: http.ServerResponse, code: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

function internalError(err: unknown): StatusObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `internal error: ${err instanceof Error ? err.message : String(err)}`,
    reason: 'InternalError',
    code: 500,
  };
}
