import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REGISTER_PATH } from '../agent/protocol.ts';
import type { JsonService, RequestContext } from '../api/aws/service.ts';
import { validateInput } from '../api/aws/validate.ts';
import { fromAgent } from '../api/ecs/container-instances.ts';
import { isInstanceSecret, SECRET_BYTES } from '../core/agent-credentials.ts';
import { parseIdentityDocument, type ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { ApiError } from '../core/errors.ts';
import { FARGATE_POOL_ACCOUNT, FARGATE_POOL_CLUSTER } from '../core/ecs/fargate.ts';
import type { Store } from '../store/store.ts';
import { bearerOf, callerOf, recordFailure, refuseBlocked, sendJson, type CallerAuth } from './caller-auth.ts';
import { checkSecret, hasSecret, instanceRefOf, issueSecret, type SecretCheck } from './instance-credentials.ts';
import { rootPrincipal } from '../identity/principal.ts';

/** A registration is a few KiB of resources and attributes (ECS's own request is well under this). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * How an agent joins: POST /_berth/agents/register with the body of ECS
 * RegisterContainerInstance (and the `region` to register in), authenticated by
 *
 * - the **join token** (`Authorization: Bearer berth_join_…`): registers a new container
 *   instance and answers `{containerInstance, instanceSecret}` — the only time the secret
 *   is ever sent. The control plane picks the new instance's EC2 id, so a token holder
 *   cannot name (and so take over) an instance that has joined;
 * - the instance's own **secret** (`Bearer berth_inst_…`) with its `containerInstanceArn`:
 *   re-registers that instance (an agent restart) and answers `{containerInstance}`.
 *
 * With `fargate: true` beside ECS's request (berth agent --fargate; `berth up` by default),
 * the host registers in the region's Fargate pool instead (fargate.ts): the pool's cluster in
 * the platform's account, made here when missing. No caller's account ever sees it.
 *
 * A Berth endpoint rather than a header on the ECS call itself: the ECS API keeps AWS's
 * contract (a SigV4 signature, no Berth secrets in or out of its shapes), and the secret
 * is issued in the same request that makes the instance, so no instance is ever without
 * one for a moment another caller could use.
 */
export function agentRegistrationRoute({ store, ecs, auth, accountId, defaultRegion }: { store: Store; ecs: JsonService; auth: CallerAuth; accountId: string; defaultRegion: string }) {
  const register = ecs.operations.RegisterContainerInstance!;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const caller = callerOf(req);
    if (req.method !== 'POST') {
      req.resume();
      return sendJson(res, 405, { message: `${REGISTER_PATH} takes POST.` });
    }
    if (refuseBlocked(res, auth, caller)) return void req.resume();
    const bearer = bearerOf(req.headers.authorization);
    const refuse = (status: number, why: string, message: string) => {
      req.resume();
      recordFailure(auth, caller, `agent registration (${why})`);
      sendJson(res, status, { message });
    };
    if (bearer === undefined) return refuse(401, 'no token', "Joining needs 'Authorization: Bearer <join token>': run berth agent with --token ('berth token' on the control plane's host shows it).");
    const bySecret = isInstanceSecret(bearer);
    if (!bySecret && !auth.checkJoinToken(bearer)) return refuse(403, 'wrong join token', "That is not this Berth's join token ('berth token' on the control plane's host shows the current one).");

    try {
      const body = await readJsonObject(req);
      const region = body.region ?? defaultRegion;
      if (typeof region !== 'string' || !/^[a-z0-9-]{1,32}$/.test(region)) throw new ApiError('InvalidParameterException', `region must be a region name such as ${defaultRegion}.`);
      const fargate = body.fargate;
      if (fargate !== undefined && typeof fargate !== 'boolean') throw new ApiError('SerializationException', 'fargate must be a boolean: true registers the host in the Fargate pool.');
      const { fargate: _pool, ...ecsBody } = body;
      const input = validateInput(ecs.model, 'RegisterContainerInstanceRequest', ecsBody) as { cluster?: string; containerInstanceArn?: string; instanceIdentityDocument?: string; capacityProviderName?: string };
      // The capacity provider the agent joins (berth agent --capacity-provider): not a member
      // of ECS's request, so it rides beside it, as region does, and is checked by the register.
      const provider = body.capacityProviderName;
      if (provider !== undefined && typeof provider !== 'string') throw new ApiError('SerializationException', 'capacityProviderName must be a string: the name of a capacity provider.');
      if (provider !== undefined) input.capacityProviderName = provider;
      if (fargate && provider !== undefined) throw new ApiError('InvalidParameterException', 'A Fargate pool host belongs to no capacity provider of yours: pass either --fargate or --capacity-provider.');
      // A pool host registers as an instance of the pool's cluster, in the platform's account.
      const account = fargate ? FARGATE_POOL_ACCOUNT : accountId;
      if (fargate) input.cluster = FARGATE_POOL_CLUSTER;
      const ctx: RequestContext = { region, accountId: account, requestId: randomUUID(), now: auth.now(), accessKeyId: undefined, principal: rootPrincipal(account), host: req.headers.host ?? 'localhost' };
      if (fargate) await ensurePoolCluster(ctx);
      const ref = input.containerInstanceArn === undefined ? undefined : instanceRefOf(input.containerInstanceArn);

      if (bySecret) {
        if (!ref || ref.scope.account !== account || ref.scope.region !== region) {
          return refuse(401, 'secret without its instance', 'An instance secret re-registers the instance it was issued to: give that containerInstanceArn (in this region).');
        }
        const check = await checkSecret(store, ref, bearer);
        if (check !== 'ok') return refuse(401, `${check} for ${input.containerInstanceArn}`, refusal(check));
        const out = await register(fromAgent(input), ctx) as { containerInstance: ContainerInstanceRecord };
        return sendJson(res, 200, { containerInstance: out.containerInstance });
      }

      // Only a full ARN says which instance is meant: an id alone could name one with a secret.
      if (input.containerInstanceArn !== undefined && !ref) {
        throw new ApiError('InvalidParameterException', `containerInstanceArn must be a container instance's full ARN (arn:aws:ecs:<region>:<account>:container-instance/<cluster>/<id>), not '${input.containerInstanceArn}'.`);
      }
      if (ref && await hasSecret(store, ref)) {
        return refuse(403, `join token naming ${input.containerInstanceArn}`, `Container instance ${input.containerInstanceArn} has its own secret: its agent presents that. To join this host as a new instance, remove the agent's identity.json.`);
      }
      if (!ref) {
        // A new instance: without an EC2 id of its own, RegisterContainerInstance makes a fresh one.
        const { instanceId: _, ...doc } = parseIdentityDocument(input.instanceIdentityDocument);
        input.instanceIdentityDocument = JSON.stringify(doc);
      }
      // (With an ARN and no secret: an instance registered before join tokens, getting its secret now.)
      const out = await register(fromAgent(input), ctx) as { containerInstance: ContainerInstanceRecord };
      const arn = out.containerInstance.containerInstanceArn;
      const instanceSecret = await issueSecret(store, instanceRefOf(arn)!, arn, randomBytes(SECRET_BYTES), auth.now());
      if (!instanceSecret) return refuse(409, `secret of ${arn} issued twice`, `Container instance ${arn} got its secret in another request meanwhile: join again without containerInstanceArn.`);
      auth.log(`agent joined: ${arn} (from ${caller})`);
      return sendJson(res, 200, { containerInstance: out.containerInstance, instanceSecret });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      req.resume();
      sendJson(res, err.status, { __type: err.code, message: err.message });
    }
  }

  /** The region's pool cluster, made by the first pool host that joins (CreateCluster of an existing one answers it unchanged). */
  async function ensurePoolCluster(ctx: RequestContext): Promise<void> {
    await ecs.operations.CreateCluster!({ clusterName: FARGATE_POOL_CLUSTER }, ctx);
  }

  return { accepts: (req: IncomingMessage) => req.url?.split('?')[0] === REGISTER_PATH, handle };
}

/** What a refused agent is told: how to get back in. */
export function refusal(check: Exclude<SecretCheck, 'ok'>): string {
  switch (check) {
    case 'no-secret': return 'This control plane has no secret for that instance (its state was reset, or it never joined): join again with the join token (berth agent --token).';
    case 'wrong-secret': return "That is not the instance's secret: join again as a new instance with the join token (remove the agent's identity.json, pass --token).";
    case 'deregistered': return 'That instance was deregistered and its secret revoked: join again as a new instance with the join token (berth agent --token).';
  }
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError('InvalidParameterException', `A registration body is at most ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  let v: unknown;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError('SerializationException', 'The request body must be a JSON object.');
  return v as Record<string, unknown>;
}
