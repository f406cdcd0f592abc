// kill -9 of `berth up` in the middle of a burst of RegisterTaskDefinition calls:
// every acknowledged revision is there after restart, and no request made two.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBerth, type BerthProcess } from './support/berth.ts';

let berth: BerthProcess;
before(async () => { berth = await startBerth(); });
after(async () => { await berth.stop(); });

const TARGET = 'AmazonEC2ContainerServiceV20141113';
/** Concurrent clients, each sending requests one after another. */
const CLIENTS = 16;
/** The server is killed once this many registrations were acknowledged. */
const KILL_AFTER_ACKS = 400;

async function call(endpoint: string, op: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(endpoint, { method: 'POST', headers: { 'X-Amz-Target': `${TARGET}.${op}`, 'Content-Type': 'application/x-amz-json-1.1' }, body: JSON.stringify(body) });
  const json = await res.json() as Record<string, unknown>;
  if (!res.ok) throw new Error(`${op}: ${JSON.stringify(json)}`);
  return json;
}

test('kill -9 during a burst of registrations: zero acknowledged revisions lost, none duplicated', async () => {
  const acked = new Map<string, string>(); // request id -> ARN the server acknowledged
  let sent = 0;
  let killed = false;
  const client = async (c: number) => {
    for (let i = 0; !killed; i++) {
      const id = `c${c}-r${i}`;
      sent++;
      try {
        const out = await call(berth.endpoint, 'RegisterTaskDefinition', {
          // Four families: concurrent registrations of one family share a batch, of others not.
          family: `crash-${c % 4}`,
          containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32, environment: [{ name: 'REQUEST_ID', value: id }] }],
        });
        acked.set(id, (out.taskDefinition as { taskDefinitionArn: string }).taskDefinitionArn);
      } catch {
        return; // the server is gone: this request may or may not have been applied
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
  while (acked.size < KILL_AFTER_ACKS) await new Promise((r) => setTimeout(r, 5));
  await berth.kill9();
  killed = true;
  await Promise.all(clients);
  await berth.restart();

  const stored = new Map<string, string>(); // request id -> ARN stored
  for (let f = 0; f < 4; f++) {
    let nextToken: string | undefined;
    do {
      const page = await call(berth.endpoint, 'ListTaskDefinitions', { familyPrefix: `crash-${f}`, ...(nextToken && { nextToken }) });
      for (const arn of page.taskDefinitionArns as string[]) {
        const td = (await call(berth.endpoint, 'DescribeTaskDefinition', { taskDefinition: arn })).taskDefinition as { containerDefinitions: { environment: { value: string }[] }[] };
        const id = td.containerDefinitions[0]!.environment[0]!.value;
        assert.equal(stored.has(id), false, `request ${id} was stored twice (${stored.get(id)} and ${arn})`);
        stored.set(id, arn);
      }
      nextToken = page.nextToken as string | undefined;
    } while (nextToken);
  }
  const lost = [...acked].filter(([id, arn]) => stored.get(id) !== arn);
  assert.deepEqual(lost, [], 'every acknowledged registration is stored under the ARN it was given');
  assert.ok(stored.size <= sent, 'nothing was stored that was not sent');
  // The revision counter went on from where it was: a new registration gets a fresh revision.
  const next = await call(berth.endpoint, 'RegisterTaskDefinition', { family: 'crash-0', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32 }] });
  const revs = [...stored.values()].filter((a) => a.includes('/crash-0:')).map((a) => Number(a.split(':').pop()));
  assert.equal((next.taskDefinition as { revision: number }).revision, Math.max(...revs) + 1);
  process.stdout.write(`# sent ${sent}, acknowledged ${acked.size}, stored ${stored.size} after kill -9\n`);
});
