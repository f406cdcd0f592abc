/**
 * The agents of scripts/peer-ecs: a peer's ECS tests register container instances through
 * the ECS API, with an EC2 instance identity document, and then run tasks on them. On AWS
 * the instance's ECS agent made that registration and holds its session; here nothing
 * does, so every such instance would stay `agentConnected: false` and refuse tasks
 * (`AGENT`). This process plays that agent: for each instance the tests register, the
 * runner asks it to adopt the instance, and it joins it through Berth's real join path
 * and holds its session with bench/sim's SimulatedAgent (tasks reported RUNNING, then
 * STOPPED, without containers).
 *
 *   pytest (conftest's after-call hook on RegisterContainerInstance)
 *      │  POST /adopt {endpoint, joinToken, region, registration}   ─▶ joined, session open
 *      │  POST /release {endpoint}  (after the test)                 ─▶ its sessions closed
 *      ▼
 *   this process ──join + session──▶ the test's `berth up --no-agent`
 *
 * It prints `{"port": N}` on stdout once it listens on 127.0.0.1, and exits on SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { SimulatedAgent } from '../bench/sim/simulated-agent.ts';

/** Endpoints (one per test's Berth) served at once: the runner releases each after its test. */
const MAX_ENDPOINTS = 16;
/** Instances adopted per endpoint: moto's tests register at most a handful. */
const MAX_AGENTS_PER_ENDPOINT = 64;
/** A request body is one registration: a few KiB. */
const MAX_BODY_BYTES = 256 * 1024;

const agents = new Map<string, SimulatedAgent[]>();

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES) throw new Error(`a request body is at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(c);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

function release(endpoint: string): number {
  const held = agents.get(endpoint) ?? [];
  for (const a of held) a.close();
  agents.delete(endpoint);
  return held.length;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const b = await body(req);
  const endpoint = String(b.endpoint);
  if (req.url === '/release') return send(res, 200, { released: release(endpoint) });
  if (req.url !== '/adopt') return send(res, 404, { error: `no route ${req.url}` });
  const held = agents.get(endpoint) ?? [];
  if (!agents.has(endpoint) && agents.size >= MAX_ENDPOINTS) return send(res, 429, { error: `at most ${MAX_ENDPOINTS} endpoints at once: release one` });
  if (held.length >= MAX_AGENTS_PER_ENDPOINT) return send(res, 429, { error: `at most ${MAX_AGENTS_PER_ENDPOINT} instances per endpoint` });
  const registration = b.registration as { cluster: string; containerInstanceArn: string } & Record<string, unknown>;
  const agent = await SimulatedAgent.adopt({
    endpoint, joinToken: String(b.joinToken), region: String(b.region ?? 'us-east-1'), registration,
    log: (line) => process.stderr.write(`peer-ecs agents: ${line}\n`),
  });
  agents.set(endpoint, [...held, agent]);
  send(res, 200, { containerInstanceArn: agent.instances[0]!.containerInstanceArn });
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
const stop = () => {
  for (const endpoint of [...agents.keys()]) release(endpoint);
  server.close();
  setTimeout(() => process.exit(0), 100);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
