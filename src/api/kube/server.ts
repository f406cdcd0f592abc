/**
 * The Kubernetes API server of one cluster: HTTPS with h2 and HTTP/1.1 offered over ALPN
 * (kubectl and client-go take h2, as with the real server; watches are streams there, chunked
 * responses on HTTP/1.1), bearer-token authentication, authorization (system:masters,
 * RBAC, EKS access policies: rbac/), and routing to the non-resource paths (non-resource.ts:
 * version, health, discovery, OpenAPI), the resource verbs (rest.ts, answered in the asked
 * representation: representation.ts) and watch (watch-http.ts).
 */
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { apiServerIP } from '../../core/kube/service-ips.ts';
import { randomUUID } from 'node:crypto';
import type { KubeApi, KubeApiOptions, KubeClusterRef, KubeSchemas, KubeUser } from './contract.ts';
import { KindRegistry } from './kinds.ts';
import type { Store } from '../../store/store.ts';
import { GenericStorage } from './generic-storage.ts';
import { Backends } from './backends.ts';
import { ANONYMOUS, Reviews } from './reviews.ts';
import { RbacCache } from './rbac/cache.ts';
import { writeBootstrapPolicy } from './rbac/bootstrap-writer.ts';
import { authorizeKept } from './rbac/decisions.ts';
import { EMPTY_SNAPSHOT } from './rbac/types.ts';
import { guardEscalation } from './rbac/guard.ts';
import { impersonatedUser, impersonates } from './rbac/impersonation.ts';
import type { StorageBackend } from './storage-backend.ts';
import type { ResourceRoute } from './route.ts';
import { RequestTargets, type RequestTarget } from './request-target.ts';
import { handleRest } from './rest.ts';
import { badRequest, forbidden, methodNotAllowed, pageNotFound, StatusError, unauthorized } from './status.ts';
import { representationOf } from './table.ts';
import { serveWatch, WatcherCount } from './watch-http.ts';
import { decodeProtobuf, PROTOBUF } from './protobuf.ts';
import { ServiceAllocator } from './service-allocation.ts';
import { resolvePodFromStore } from './pod-target.ts';
import { PodStreams, refuseUpgrade, UPGRADE_SUBRESOURCES, type PodStreamsDeps } from './pod-streams.ts';
import { JWKS_PATH, OPENID_CONFIGURATION_PATH, ServiceAccountTokens, type PodTokenIssuer } from './service-account-tokens.ts';
import { handleTokenRequest } from './token-request.ts';
import { InClusterListener } from './in-cluster-listener.ts';
import { failed, readBody, send } from './http-answer.ts';
import { answerNonResource } from './non-resource.ts';
import { answerIn } from './representation.ts';

/** Concurrent streams per h2 connection: kube-apiserver's --http2-max-streams-per-connection default. */
export const H2_MAX_STREAMS = 1000;

/**
 * How long an idle HTTP/1.1 keep-alive connection stays open: the API server's IdleTimeout
 * (90 s, "matches http.DefaultTransport keep-alive timeout", apiserver's secure_serving.go).
 * Node's default is 5 s: a client's kept connection idle that long was closed under it, and
 * when Berth's event loop was busy the close ran just as the client reused the connection,
 * so the client's next request met `socket hang up` or, its bytes unread, ECONNRESET
 * (kube-api bench, session 14: the watch phase's first status write, after 100 watches opened).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 90_000;

/** The cluster's controllers, running while its server does. */
export interface KubeControllers {
  /** Resolves once a pass that started after this call found nothing to do (tests). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface KubeControllerDeps {
  readonly store: Store;
  readonly clusterUid: string;
  /** The cluster itself (its account, region, name, service range): controllers that serve its nodes find them by it. */
  readonly cluster?: KubeClusterRef;
  readonly backends: Backends;
  readonly registry: KindRegistry;
  readonly now: () => number;
  /** The `kubernetes` Service's cluster IP (the first of the service range) and where this server listens. */
  readonly apiServer?: { readonly clusterIP: string; readonly ip: string; readonly port: number };
  readonly rng?: () => number;
  /** The cluster's CA certificate (PEM): published to every namespace as `kube-root-ca.crt`. */
  readonly rootCA?: string;
  /** Signs the legacy tokens the token controller writes into service account token Secrets (none: not written). */
  readonly legacyToken?: ServiceAccountTokens['legacyToken'];
}

export type StartKubeControllers = (deps: KubeControllerDeps) => Promise<KubeControllers>;

/** What a server needs beside the contract's options: the cluster's schemas and the sources of ids and randomness. */
export interface KubeServerDeps {
  readonly schemas: KubeSchemas;
  readonly newUid?: () => string;
  readonly rng?: () => number;
  readonly registry?: KindRegistry;
  /**
   * Starts the cluster's namespace, service account and garbage collection controllers
   * (src/controllers/kube/controller-loop.ts), given by whoever composes the server: none when absent.
   */
  readonly controllers?: StartKubeControllers;
  /** Storage backends beside 'generic' and the events view, by the name kinds.ts rows give (nodes; pods next). */
  readonly backends?: Readonly<Record<string, StorageBackend>>;
  /**
   * A pod's logs, exec, attach and port-forward (pod-streams.ts): the agents that run them,
   * and how a pod resolves to its task (by default its uid's task in the task store,
   * pod-target.ts's resolvePodFromStore over the pods row's backend). Absent, or no pods row:
   * those subresources are not served.
   */
  readonly pods?: Pick<PodStreamsDeps, 'agents'> & Partial<Pick<PodStreamsDeps, 'resolvePod'>>;
}

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz', '/healthz/ping', '/livez/ping', '/readyz/ping']);



export class KubeServer {
  readonly #options: KubeApiOptions;
  readonly #deps: Required<Omit<KubeServerDeps, 'controllers' | 'backends' | 'pods'>> & Pick<KubeServerDeps, 'controllers'>;
  readonly #pods: PodStreams | undefined;
  readonly #backends: Backends;
  readonly #storage: GenericStorage;
  readonly #allocator: ServiceAllocator;
  readonly #server: Http2SecureServer;
  readonly #sockets = new Set<Socket>();
  readonly #watchers = new WatcherCount();
  /** Request lines parsed once (bounded: request-target.ts). */
  readonly #targets: RequestTargets;
  #controllers: KubeControllers | undefined;
  #rbac: RbacCache | undefined;
  /** Made at listen, when the port (so the issuer URL) is known; absent without options.serviceAccounts. */
  #tokens: ServiceAccountTokens | undefined;
  /** The address pods reach this server at, when it is not the one it listens on (in-cluster-listener.ts). */
  #inCluster: InClusterListener | undefined;
  #address = '';

  constructor(options: KubeApiOptions, deps: KubeServerDeps) {
    this.#options = options;
    this.#deps = { newUid: randomUUID, rng: Math.random, registry: new KindRegistry(), ...deps };
    this.#targets = new RequestTargets(this.#deps.registry);
    const namespaces = this.#deps.registry.byResource('', 'v1', 'namespaces')!;
    const services = this.#deps.registry.byResource('', 'v1', 'services');
    this.#allocator = new ServiceAllocator(options.store, options.cluster.uid, options.cluster.serviceIpv4Cidr, this.#deps.rng);
    this.#storage = new GenericStorage({
      store: options.store, clusterUid: options.cluster.uid, schemas: deps.schemas, namespaces,
      now: options.now, newUid: this.#deps.newUid, rng: this.#deps.rng,
      hooks: (kind) => (kind === services ? this.#allocator : undefined),
    });
    this.#backends = new Backends(this.#deps.registry, this.#storage, { reviews: new Reviews(() => this.#rbac?.snapshot() ?? EMPTY_SNAPSHOT), ...deps.backends });
    // The h2 compatibility request and response have every member the handlers use (body
    // events, writeHead, write, end, flushHeaders, writableLength, destroy, 'close').
    this.#server = createSecureServer({ cert: options.tls.cert, key: options.tls.key, allowHTTP1: true, http1Options: { keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, settings: { maxConcurrentStreams: H2_MAX_STREAMS } }, (req, res) => {
      const request = req as unknown as IncomingMessage;
      const response = res as unknown as ServerResponse;
      this.#handle(request, response).catch((err: unknown) => failed(response, err));
    });
    const pods = this.#deps.registry.byResource('', 'v1', 'pods');
    this.#pods = deps.pods && pods && new PodStreams({
      agents: deps.pods.agents, now: options.now,
      resolvePod: deps.pods.resolvePod ?? resolvePodFromStore({
        store: options.store, pods: this.#backends.for(pods), podKind: pods, scope: { account: options.cluster.account, region: options.cluster.region },
      }),
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', () => undefined);
      this.#upgrade(req, socket, head).catch((err: unknown) => {
        refuseUpgrade(socket, err instanceof StatusError ? err : new StatusError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`));
      });
    });
    this.#server.on('secureConnection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  get storage(): GenericStorage {
    return this.#storage;
  }

  /**
   * Pods' projected tokens (the pods backend's `token` input). Bound lazily: backends are made
   * before the server listens, tokens are asked only by requests, which come after.
   */
  readonly podToken: PodTokenIssuer = (request) => {
    if (!this.#tokens) throw new StatusError(500, 'InternalError', 'Internal error occurred: this cluster issues no service account tokens (its API server has no signing key)');
    return this.#tokens.podToken(request);
  };

  async listen(): Promise<KubeApi> {
    // The default roles first, then the cache the authorizer reads: nothing is served before both.
    await writeBootstrapPolicy(this.#storage, this.#deps.registry);
    this.#rbac = await RbacCache.start({ store: this.#options.store, clusterUid: this.#options.cluster.uid, registry: this.#deps.registry, storage: this.#storage });
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    this.#address = `${host}:${port}`;
    const sa = this.#options.serviceAccounts;
    if (sa) {
      this.#tokens = new ServiceAccountTokens({
        key: sa.key, issuer: sa.issuerFor(port), backends: this.#backends, registry: this.#deps.registry, now: this.#options.now, newId: this.#deps.newUid,
      });
    }
    const wildcard = ['0.0.0.0', '::'].includes(this.#options.host);
    const inCluster = this.#options.inClusterHost;
    if (inCluster !== undefined && !wildcard && inCluster !== this.#options.host) {
      // Handed to the TLS server as its own connections: served, tracked and closed alike.
      this.#inCluster = new InClusterListener(inCluster, port, (socket) => this.#server.emit('connection', socket));
      await this.#inCluster.start();
    }
    if (this.#deps.controllers) {
      // Pods reach the API server at its in-cluster address; else at the address it listens on (on every address, the loopback one).
      const ip = inCluster ?? (isIP(this.#options.host) !== 0 && !wildcard ? this.#options.host : '127.0.0.1');
      this.#controllers = await this.#deps.controllers({
        store: this.#options.store, clusterUid: this.#options.cluster.uid, cluster: this.#options.cluster, backends: this.#backends,
        registry: this.#deps.registry, now: this.#options.now, rng: this.#deps.rng,
        apiServer: { clusterIP: apiServerIP(this.#allocator.range), ip, port },
        ...(this.#options.tls.ca !== undefined && { rootCA: this.#options.tls.ca }),
        ...(this.#tokens && { legacyToken: this.#tokens.legacyToken }),
      });
    }
    return { url: `https://${this.#address}`, close: () => this.close() };
  }

  async close(): Promise<void> {
    this.#inCluster?.close();
    await this.#controllers?.close();
    await this.#rbac?.close();
    this.#watchers.closeAll();
    this.#pods?.close();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
  }


  async #authenticate(req: IncomingMessage, path: string): Promise<KubeUser | undefined> {
    const header = req.headers.authorization;
    if (header === undefined) {
      // Anonymous requests may read health and version only (the public-info-viewer role).
      if (PUBLIC_PATHS.has(path)) return undefined;
      throw unauthorized();
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    // A token the authenticator cannot check (it throws) proves nothing either: 401, as a failing token webhook answers.
    // EKS's tokens first (the cluster's Authenticate), then the cluster's own service account tokens.
    const now = this.#options.now();
    const user = m
      ? (await this.#options.authenticate(m[1]!, now).catch(() => undefined)) ?? (await this.#tokens?.authenticate(m[1]!, now).catch(() => undefined))
      : undefined;
    if (!user) throw unauthorized();
    return user;
  }

  /**
   * Who asks (authenticated, impersonation applied) and whether they may: the request's own
   * attributes, and `alsoVerb` on the same resource when given (a WebSocket upgrade of exec,
   * attach or portforward is a GET, and needs `create` too, as the API server checks it with
   * AuthorizePodWebsocketUpgradeCreatePermission). Throws 401 or 403, or the target's route error.
   */
  async #admit(req: IncomingMessage, target: RequestTarget, alsoVerb?: string): Promise<KubeUser | undefined> {
    const { path, routeError, attrs } = target;
    let user = await this.#authenticate(req, path);
    if (user && impersonates(req.headers)) {
      const as = impersonatedUser(user, req.headers, this.#rbac?.snapshot() ?? EMPTY_SNAPSHOT);
      if (as instanceof StatusError) throw as;
      user = as;
    }
    if (routeError !== undefined) throw routeError;
    for (const a of alsoVerb !== undefined && attrs.resourceRequest && attrs.verb !== alsoVerb ? [attrs, { ...attrs, verb: alsoVerb }] : [attrs]) {
      const decision = authorizeKept(user ?? ANONYMOUS, a, this.#rbac?.snapshot() ?? EMPTY_SNAPSHOT);
      if (decision.allowed) continue;
      const username = (user ?? ANONYMOUS).username;
      if (!a.resourceRequest) throw forbidden(username, a.verb, undefined, undefined, undefined, path, '', decision.reason);
      throw forbidden(username, a.verb, { group: a.apiGroup, plural: a.resource }, a.name || undefined, a.namespace || undefined, path, a.subresource, decision.reason);
    }
    return user;
  }

  /**
   * The pod streams, when `route` names one of them (pods/log, exec, attach, portforward);
   * a server given no agents to reach pods through has none to serve: 404.
   */
  #podStream(route: ResourceRoute | undefined): PodStreams | undefined {
    const named = route?.kind.group === '' && route.kind.plural === 'pods' && route.name !== undefined && route.namespace !== undefined
      && (route.subresource === 'log' || UPGRADE_SUBRESOURCES.has(route.subresource ?? ''));
    if (named && !this.#pods) throw pageNotFound();
    return named ? this.#pods : undefined;
  }

  /** An HTTP/1.1 upgrade: pods' exec, attach and portforward; anything else is refused as the server refuses it. */
  async #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const target = this.#targets.of(req.method ?? 'GET', req.url ?? '/');
    await this.#admit(req, target, 'create');
    const { route } = target;
    const pods = this.#podStream(route);
    if (!pods || !route || !UPGRADE_SUBRESOURCES.has(route.subresource!)) throw pageNotFound();
    await pods.upgrade(route.subresource!, route.namespace!, route.name!, new URLSearchParams(target.search), req, socket, head);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const target = this.#targets.of(method, req.url ?? '/');
    const { path, route } = target;
    const query = new URLSearchParams(target.search);
    // The OIDC issuer's documents are public, as EKS's issuer is (IAM and other relying parties fetch them unsigned).
    if (this.#tokens && method === 'GET' && path === OPENID_CONFIGURATION_PATH) return send(res, 200, this.#tokens.openidConfiguration());
    if (this.#tokens && method === 'GET' && path === JWKS_PATH) return send(res, 200, this.#tokens.jwks(), 'application/jwk-set+json');
    const user = await this.#admit(req, target);
    const pods = this.#podStream(route);
    if (pods && route) {
      if (route.subresource !== 'log') throw badRequest('Upgrade request required');
      if (method !== 'GET') throw methodNotAllowed();
      return pods.log(route.namespace!, route.name!, query, res);
    }
    if (route) {
      const raw = method === 'GET' ? Buffer.alloc(0) : await readBody(req);
      let contentType = req.headers['content-type'];
      let body = raw.toString('utf8');
      if (contentType?.startsWith(PROTOBUF) && raw.length > 0) {
        body = JSON.stringify(decodeProtobuf(raw));
        contentType = 'application/json';
      }
      if (method === 'GET' && route.subresource === undefined && (query.get('watch') === 'true' || query.get('watch') === '1')) {
        // A watch of one named object is a watch of its collection by metadata.name, as the server treats it.
        const q = new URLSearchParams(query);
        if (route.name !== undefined) q.set('fieldSelector', [q.get('fieldSelector'), `metadata.name=${route.name}`].filter(Boolean).join(','));
        return serveWatch({ storage: this.#backends.for(route.kind), now: this.#options.now, watchers: this.#watchers }, { ...route, name: undefined }, q, req, res);
      }
      if (route.subresource === 'token' && route.kind.plural === 'serviceaccounts') {
        if (!this.#tokens) throw pageNotFound();
        const r = await handleTokenRequest(this.#tokens, { method, kind: route.kind, namespace: route.namespace ?? '', name: route.name ?? '', body, contentType }, this.#options.now());
        return send(res, r.status, r.body, 'application/json', r.warnings);
      }
      const storage = guardEscalation(this.#backends.for(route.kind), route.kind, () => this.#rbac?.snapshot() ?? EMPTY_SNAPSHOT);
      const r = await handleRest({ storage, schemas: this.#deps.schemas, now: this.#options.now }, {
        method, route, query, contentType, body, userAgent: req.headers['user-agent'], ...(user && { user }), plain: representationOf(req.headers.accept) === 'object',
      });
      return answerIn(req, res, route, query, r, this.#options.now);
    }
    if (method !== 'GET') throw pageNotFound();
    answerNonResource({ registry: this.#deps.registry, schemas: this.#deps.schemas, address: this.#address, clusterVersion: this.#options.cluster.version }, req, res, path, query);
  }


}

/** Starts one cluster's API server (the contract's StartKubeApi, given the cluster's schemas). */
export function kubeApiStarter(deps: KubeServerDeps): (options: KubeApiOptions) => Promise<KubeApi> {
  return (options) => new KubeServer(options, deps).listen();
}
