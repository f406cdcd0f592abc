// The probe handlers against real servers on loopback: node's HTTP and HTTPS (a self-signed
// certificate, as a pod's often is), a TCP listener, and a real gRPC server (@grpc/grpc-js,
// a devDependency) answering the standard health service.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { frameRequest, HEALTH_CHECK_PATH, servingStatus } from './grpc-health.ts';
import { PROBE_USER_AGENT, runProbe, type ProbeTarget } from './handlers.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-probes-'));
const target: ProbeTarget = { address: '127.0.0.1', exec: async (argv) => (argv[0] === 'true' ? 0 : 1) };
const servers: { close(): void }[] = [];
let seen: IncomingHttpHeaders | undefined;
let seenPath = '';
const handler = (req: { url?: string; headers: IncomingHttpHeaders }, res: { statusCode: number; end(b?: string): void }) => {
  seen = req.headers;
  seenPath = req.url ?? '';
  const code = Number(/^\/status\/(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
  if (req.url === '/slow') return void setTimeout(() => { res.statusCode = 200; res.end(); }, 2000);
  res.statusCode = code;
  res.end('body');
};
const portOf = (s: Server | ReturnType<typeof createTcpServer>) => (s.address() as AddressInfo).port;
const listen = async <S extends Server | ReturnType<typeof createTcpServer>>(s: S): Promise<S> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return s;
};
let http: Server;
let https: Server;
let grpcPort = 0;
let grpcServer: grpc.Server;
/** What the test gRPC server answers, by service name. */
const serving: Record<string, number> = { '': 1, web: 1, db: 2 };

before(async () => {
  http = await listen(createHttpServer(handler));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=pod'], { stdio: 'ignore' });
  https = await listen(createHttpsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, handler));
  grpcServer = new grpc.Server();
  // The health service with raw (de)serializers: the request's field 1 is the service name.
  grpcServer.addService({
    Check: {
      path: HEALTH_CHECK_PATH, requestStream: false, responseStream: false,
      // An object, not the bare name: grpc-js takes a falsy request for none.
      requestDeserialize: (b: Buffer) => ({ service: b.length > 2 ? b.subarray(2).toString('utf8') : '' }),
      requestSerialize: (r: { service: string }) => Buffer.from(r.service),
      responseSerialize: (status: number) => Buffer.from([0x08, status]),
      responseDeserialize: (b: Buffer) => b[1],
    },
  } as grpc.ServiceDefinition, {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, cb: grpc.sendUnaryData<number>) => {
      const s = serving[call.request.service];
      if (s === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      else cb(null, s);
    },
  });
  grpcPort = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
});

after(() => {
  for (const s of servers) s.close();
  grpcServer?.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

const get = (port: number, path: string, o: { scheme?: 'HTTP' | 'HTTPS'; headers?: { name: string; value: string }[] } = {}) => ({ httpGet: { port, path, scheme: o.scheme ?? 'HTTP', headers: o.headers ?? [] } });

test('httpGet passes on 200-399 and fails otherwise; its headers replace the defaults; HTTPS skips verification', async () => {
  assert.equal(await runProbe(get(portOf(http), '/status/200'), target, 1000), true);
  assert.equal(await runProbe(get(portOf(http), '/status/302'), target, 1000), true);
  assert.equal(await runProbe(get(portOf(http), '/status/399'), target, 1000), true);
  assert.equal(await runProbe(get(portOf(http), '/status/400'), target, 1000), false);
  assert.equal(await runProbe(get(portOf(http), '/status/500'), target, 1000), false);
  assert.equal(seen?.['user-agent'], PROBE_USER_AGENT);
  assert.equal(seen?.accept, '*/*');
  await runProbe(get(portOf(http), 'healthz?x=1', { headers: [{ name: 'user-agent', value: 'mine' }, { name: 'X-Probe', value: 'yes' }] }), target, 1000);
  assert.equal(seenPath, '/healthz?x=1', 'a path without its slash gets one');
  assert.equal(seen?.['user-agent'], 'mine');
  assert.equal(seen?.['x-probe'], 'yes');
  assert.equal(await runProbe(get(portOf(https), '/status/204', { scheme: 'HTTPS' }), target, 2000), true);
  assert.equal(await runProbe(get(portOf(https), '/status/204'), target, 1000), false, 'plain HTTP to a TLS port fails');
});

test('a probe held past its timeout fails, as does one to a closed port', async () => {
  // /slow answers 200 after 2 s: a probe that waited for it would pass, so false is the timeout.
  assert.equal(await runProbe(get(portOf(http), '/slow'), target, 300), false, 'it did not wait for the answer');
  const closed = await listen(createTcpServer());
  const port = portOf(closed);
  closed.close();
  assert.equal(await runProbe({ tcpSocket: { port } }, target, 500), false);
  assert.equal(await runProbe(get(port, '/'), target, 500), false);
});

test('tcpSocket passes when a connection opens; exec by the command\'s exit code', async () => {
  const tcp = await listen(createTcpServer((s) => s.end()));
  assert.equal(await runProbe({ tcpSocket: { port: portOf(tcp) } }, target, 1000), true);
  assert.equal(await runProbe({ exec: { command: ['true'] } }, target, 1000), true);
  assert.equal(await runProbe({ exec: { command: ['false'] } }, target, 1000), false);
  assert.equal(await runProbe({ exec: { command: ['x'] } }, { ...target, exec: () => Promise.reject(new Error('gone')) }, 1000), false);
});

test('grpc: the standard health check of a real gRPC server, for the server and for a named service', async () => {
  assert.equal(await runProbe({ grpc: { port: grpcPort } }, target, 2000), true);
  assert.equal(await runProbe({ grpc: { port: grpcPort, service: 'web' } }, target, 2000), true);
  assert.equal(await runProbe({ grpc: { port: grpcPort, service: 'db' } }, target, 2000), false, 'NOT_SERVING');
  assert.equal(await runProbe({ grpc: { port: grpcPort, service: 'nope' } }, target, 2000), false, 'NOT_FOUND');
  assert.equal(await runProbe({ grpc: { port: portOf(http) } }, target, 1000), false, 'not a gRPC server');
});

test('gRPC framing: the request names the service; the answer\'s status is read, unknown fields skipped', () => {
  assert.deepEqual([...frameRequest('')], [0, 0, 0, 0, 0]);
  assert.deepEqual([...frameRequest('web')], [0, 0, 0, 0, 5, 0x0a, 3, 0x77, 0x65, 0x62]);
  assert.equal(servingStatus(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), 1);
  assert.equal(servingStatus(Buffer.from([0, 0, 0, 0, 0])), 0, 'absent: UNKNOWN');
  assert.equal(servingStatus(Buffer.from([0, 0, 0, 0, 6, 0x12, 2, 0x61, 0x62, 0x08, 2])), 2);
  assert.equal(servingStatus(Buffer.from([0, 0, 0, 0, 9, 0x08])), undefined, 'truncated');
  assert.equal(servingStatus(Buffer.from([1, 0, 0, 0, 0])), undefined, 'compressed: not asked for');
});
