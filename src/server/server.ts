import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAwsFrontDoor } from '../api/aws/front-door.ts';
import { createUnsupportedDoor } from '../api/aws/unsupported-door.ts';
import { createStsDoor } from '../api/sts/index.ts';
import { createRestJsonDoor } from '../api/aws/rest-json-door.ts';
import { eksPart } from './eks-part.ts';
import { startKubeControllers } from '../controllers/kube/controller-loop.ts';
import type { KubeApiHost } from '../api/kube/contract.ts';
import { BerthKubeApiHost } from '../api/kube/host.ts';
import { ServiceTables } from '../svcnet/publisher.ts';
import { serviceTableSessions } from './service-table-sessions.ts';
import { withServiceTables } from '../svcnet/controllers.ts';
import { clusterDnsFor, masterServiceFor } from '../svcnet/dns-service.ts';
import { NodeBackend } from '../api/kube/node-backend.ts';
import { fargatePods, PodBackend, podNodeOf, type PodBackendDeps } from '../api/kube/pod-backend.ts';
import { watchFargatePods, writeFargatePodSpec } from '../api/kube/fargate-pod-watch.ts';
import type { KindRegistry } from '../api/kube/kinds.ts';
import type { PodAgents } from '../api/kube/pod-streams.ts';
import { instanceRecords } from '../cluster/instance-records.ts';
import { BerthKubeSchemas } from '../api/kube/schema/schemas.ts';
import { placerIds } from '../scheduler/placer-ids.ts';
import { createRequestVerifier } from '../api/aws/verify-request.ts';
import { createIdentityService } from '../identity/identity-service.ts';
import { openSessionToken } from '../identity/session-credentials.ts';
import { createEcrService } from '../api/ecr/index.ts';
import { createEcsService } from '../api/ecs/index.ts';
import { createLogsService } from '../api/logs/index.ts';
import { createS3Service } from '../api/s3/index.ts';
import { createRegistry, openTokenAuthority } from '../registry/index.ts';
import { createClusterState } from '../cluster/cluster-state.ts';
import { createPlacer } from '../scheduler/placer.ts';
import { ParsedValues } from '../store/parsed-values.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { FailureLimiter } from '../core/failure-limiter.ts';
import { ecrLifecycleJob } from '../controllers/ecr-lifecycle.ts';
import { instanceHealthReconciler } from '../controllers/instance-health.ts';
import { fargateUsageJob } from '../controllers/fargate-usage.ts';
import { fargatePendingReconciler } from '../controllers/fargate-pending.ts';
import { podPendingReconciler } from '../controllers/pod-pending.ts';
import { retentionJob } from '../controllers/retention-job.ts';
import { podRemovalJob } from '../controllers/pod-removal-job.ts';
import { spotReclaimJob } from '../controllers/spot/spot-job.ts';
import { createControllerRunner } from '../controllers/runner.ts';
import type { Reconciler } from '../controllers/types.ts';
import { createServiceReconciler } from '../controllers/service/reconciler.ts';
import { randomServiceIds } from '../api/ecs/services.ts';
import { adminRoutes } from './admin.ts';
import { guardAdmin } from './admin-guard.ts';
import { createAgentGateway } from './agent-gateway.ts';
import { createExecStream } from './exec-stream.ts';
import { execAuditor } from './exec-audit.ts';
import { ExecSessions } from '../exec/exec-sessions.ts';
import { agentRegistrationRoute } from './agent-registration.ts';
import type { CallerAuth } from './caller-auth.ts';
import { ensureJoinToken, joinTokenChecker } from './join-token.ts';
import { startEventProducer } from '../events/producer.ts';
import { eventRoutes } from './event-routes.ts';
import { spotRoutes } from './spot-routes.ts';
import { taskAccessRoutes } from './task-access.ts';

/** What the composition root gives the Kubernetes API host: the store, the clock, and the agents pods' streams reach. */
export interface KubeApiHostInputs {
  readonly store: Store;
  readonly now: () => number;
  readonly agents?: PodAgents;
  /** The service tables its clusters' controllers publish to the agents of their nodes (src/svcnet). */
  readonly serviceTables?: ServiceTables;
}

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly accountId: string;
  /** Region of requests that carry no SigV4 credential scope. */
  readonly region: string;
  readonly log: (line: string) => void;
  /** Registry pulls without a token (pushes always need one unless auth is off). Default false. */
  readonly anonymousPull?: boolean;
  /** Registry and ECR tokens are not checked at all: for a laptop where nobody else can connect. Default false. */
  readonly registryAuthOff?: boolean;
  /**
   * Meter EC2-mode and EXTERNAL tasks too, for what they would have cost on Fargate
   * (controllers/fargate-usage.ts). Default false: FARGATE tasks only.
   */
  readonly meterEc2?: boolean;
  /**
   * The address pods reach EKS clusters' API servers at (the `kubernetes` Service's endpoint):
   * `berth up` gives its own agent's awsvpc bridge gateway, which every host's pods route to.
   * Absent (no agent here): the listen address.
   */
  readonly inClusterHost?: string;
  /**
   * Makes what serves each ACTIVE EKS cluster's Kubernetes API, given the store once it is
   * open: src/api/kube's host unless a test brings its own.
   */
  readonly kubeApiHost?: (deps: KubeApiHostInputs) => KubeApiHost;
}

/**
 * Each EKS cluster's Kubernetes API server (src/api/kube), with the schemas of the kinds it
 * serves (src/api/kube/schema), built on the first cluster opened: a Berth without EKS
 * clusters never loads them. `registry`: the kinds served, when not the default (tests of a kind
 * not served yet).
 */
export function defaultKubeApiHost(deps: KubeApiHostInputs, registry?: KindRegistry): KubeApiHost {
  let schemas: BerthKubeSchemas | undefined;
  const instances = instanceRecords(deps.store);
  return new BerthKubeApiHost({
    store: deps.store, now: deps.now, controllers: withServiceTables(startKubeControllers, deps.serviceTables), schemasFor: () => (schemas ??= new BerthKubeSchemas()), ...(registry && { registry }),
    // Pods' logs, exec, attach and port-forward go to their tasks' agents (the pod resolved by the pods backend and the task store).
    ...(deps.agents && { pods: { agents: deps.agents } }),
    // Each cluster's nodes: the container instances its node groups claimed; its pods: tasks
    // of the ECS cluster every pod lives in (core/kube/pod/hosting.ts), with tokens the
    // cluster's API server accepts and its DNS service as their resolver.
    // A Fargate pod's node is a view of the pod (core/kube/fargate-node.ts).
    backendsFor: (cluster, clusterSchemas, podToken) => {
      const pods: PodBackendDeps = {
        store: deps.store, cluster, schemas: clusterSchemas, now: deps.now, newUid: randomUUID, rng: Math.random, nodeOf: podNodeOf(instances),
        issueToken: podToken, clusterDns: clusterDnsFor(cluster.serviceIpv4Cidr), masterService: masterServiceFor(cluster.serviceIpv4Cidr),
      };
      return {
        nodes: new NodeBackend({
          instances, cluster, now: deps.now,
          fargatePods: () => fargatePods(pods), watchFargatePods: (from, listener) => watchFargatePods(pods, from, listener), writeFargatePod: (pod, spec) => writeFargatePodSpec(pods, pod, spec),
        }),
        pods: new PodBackend(pods),
      };
    },
  });
}

export interface RunningServer {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  /**
   * Serves the same port on one more address too (berth up --hosts: the simulated hosts'
   * bridge). Connections keep their caller's address, so admin checks see who calls.
   */
  listenAlso(host: string): Promise<void>;
  close(): Promise<void>;
}

/** A part of the server that answers some requests: the AWS endpoint, the registry, admin. */
interface Route {
  accepts(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * The composition root of the control plane: opens the store in the data dir and serves
 * every API on one port.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const store = await openSqliteStore(join(options.dataDir, 'state.db'));
  const tokens = await openTokenAuthority(options.dataDir);
  const registry = createRegistry({
    store, dataDir: options.dataDir, log: options.log, accountId: options.accountId,
    auth: { tokens, anonymousPull: options.anonymousPull ?? false, required: !options.registryAuthOff },
  });
  const ecr = createEcrService({ store, registry: registry.core, tokens, log: options.log });
  // The cluster state is live before any request is served: every read of counts, tasks
  // and instance usage, and every placement, comes from it.
  // Task records the placer writes reach the cluster state as objects, not parsed back.
  const parsedValues = new ParsedValues();
  const state = createClusterState(store, { parsedValues, onListenerError: (err) => options.log(`cluster state listener failed: ${err instanceof Error ? err.stack : String(err)}`) });
  await state.ready();
  const placer = createPlacer({
    store, state, parsedValues, rng: Math.random,
    ids: placerIds(),
  });
  // ECS Exec: ExecuteCommand issues a session here; its client opens it on the stream endpoint.
  const execSessions = new ExecSessions();
  const ecs = createEcsService({
    store, state, placer,
    exec: { sessions: execSessions, newSessionId: () => `ecs-execute-command-${randomBytes(16).toString('hex')}`, newToken: () => randomBytes(32).toString('base64url') },
  });
  const logs = createLogsService({ store, dataDir: options.dataDir, log: options.log });
  await logs.removeOrphans();
  const identity = await createIdentityService({ store });
  const verifier = createRequestVerifier({ key: identity.key, accountId: options.accountId });
  const aws = createAwsFrontDoor({
    verifier,
    services: [ecs, ecr, logs],
    accountId: options.accountId,
    defaultRegion: options.region,
    log: options.log,
  });
  // Each EKS cluster's services, for the agents of its nodes (src/svcnet).
  const serviceTables = new ServiceTables(options.log);
  const s3 = createS3Service({ store, dataDir: options.dataDir, accountId: options.accountId, defaultRegion: options.region, log: options.log });
  ensureJoinToken(options.dataDir);
  const auth: CallerAuth = { checkJoinToken: joinTokenChecker(options.dataDir), limiter: new FailureLimiter(), log: options.log, now: Date.now };
  const agents = createAgentGateway({
    store, state, log: options.log, auth, parsedValues, awslogs: logs.agentReceiver, sessionExtensions: [serviceTableSessions(serviceTables)],
    openCredentials: (accessKeyId, sessionToken, now) => openSessionToken(identity.key, accessKeyId, sessionToken, now),
    issueCredentials: (role, now) => {
      const c = identity.issue(role, now);
      return { roleArn: role.roleArn, accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
    },
  });
  await agents.start();
  // Each EKS cluster's API server reaches pods' agents through the gateway (logs, exec, attach, port-forward).
  const eks = eksPart({ store, identityKey: identity.key, accountId: options.accountId, listenHost: options.host, ...(options.inClusterHost !== undefined && { inClusterHost: options.inClusterHost }), log: options.log, kubeApiHost: (options.kubeApiHost ?? defaultKubeApiHost)({ store, now: Date.now, agents, serviceTables }) });
  const restJson = createRestJsonDoor({ verifier, services: [eks.service], accountId: options.accountId, defaultRegion: options.region, log: options.log });
  const auditExec = execAuditor({ store, logStore: logs.logStore, log: options.log });
  const execStream = createExecStream({
    sessions: execSessions, newId: randomUUID,
    open: (b, command, io) => agents.interactiveExec({ taskArn: b.taskArn, containerInstanceArn: b.containerInstanceArn }, b.containerName, command, io),
    audit: auditExec,
  });
  const reconcilers: Reconciler[] = [
    instanceHealthReconciler(),
    fargatePendingReconciler(),
    // Pods the pods backend made with no host: placed on their EKS cluster's nodes.
    podPendingReconciler(),
    createServiceReconciler({ newId: randomUUID, newDeploymentId: randomServiceIds.deploymentId }),
  ];
  // Fargate metering: retention keeps a stopped task until its usage is stored.
  const usage = fargateUsageJob({ store, state, meterEc2: options.meterEc2 ?? false });
  const controllers = createControllerRunner({
    store, state, placer, reconcilers, log: options.log, now: Date.now,
    jobs: [retentionJob({ store, state, keep: (t) => !usage.metered(t) }), ecrLifecycleJob({ store }), usage, spotReclaimJob({ store, state }), podRemovalJob({ store, state })],
  });
  controllers.start();
  // ECS events: one for every committed task change, resumed from the store's own cursor.
  const eventProducer = await startEventProducer({ store, log: options.log, now: Date.now });
  const unsupported = createUnsupportedDoor();
  const sts = createStsDoor({ verifier, issue: identity.issue });
  const routes: Route[] = [
    agentRegistrationRoute({ store, ecs, auth, accountId: options.accountId, defaultRegion: options.region }),
    guardAdmin(taskAccessRoutes({ store, agents, accountId: options.accountId, region: options.region, awslogs: logs.streamReader }), auth),
    guardAdmin(eventRoutes({ store, region: options.region, log: options.log }), auth),
    guardAdmin(spotRoutes({ store, state, accountId: options.accountId, region: options.region, now: Date.now, log: options.log }), auth),
    // S3 and the AWS doors before the registry: a request signed with SigV4 is theirs whatever
    // its path (SES v2's are /v2/…); no registry client signs so. The unsupported door answers
    // what the others do not: AWS's error for an operation Berth lacks, or a plain 404.
    guardAdmin(adminRoutes({ store, registry, s3, state, accountId: options.accountId, region: options.region, meterEc2: options.meterEc2 ?? false }), auth), s3, sts, aws, restJson, unsupported, registry,
  ];
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const route = routes.find((r) => r.accepts(req)) ?? unsupported;
    route.handle(req, res).catch((err: unknown) => {
      options.log(`unhandled error for ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.on('upgrade', (req, socket, head) => (execStream.accepts(req) ? execStream : agents).handleUpgrade(req, socket, head));
  try {
    await listen(server, options.port, options.host);
  } catch (err) {
    await controllers.close();
    await eventProducer.close();
    await agents.close();
    state.close();
    await s3.close();
    await logs.close();
    await ecr.close();
    await registry.close();
    state.close();
    await store.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  await eks.start(port);
  const extra: ReturnType<typeof createTcpServer>[] = [];
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    port,
    store,
    async listenAlso(host) {
      const tcp = createTcpServer((socket) => server.emit('connection', socket));
      await listen(tcp, port, host);
      extra.push(tcp);
    },
    async close() {
      // First: the lease is released, so another control plane can take over at once.
      await controllers.close();
      await eks.close();
      for (const tcp of extra) tcp.close();
      await eventProducer.close();
      // Agent and exec sessions are upgraded sockets the http server no longer tracks: end them first.
      execStream.close();
      await agents.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      state.close();
      await s3.close();
      await logs.close();
      await ecr.close();
      await registry.close();
      state.close();
      await store.close();
    },
  };
}

function listen(server: Server | ReturnType<typeof createTcpServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
