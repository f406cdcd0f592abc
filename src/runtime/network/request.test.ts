import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkRequestError, fingerprint, normalizeRequest } from './request.ts';

test('defaults: bridge mode, task isolation, tcp, dynamic host port when absent or 0', () => {
  const n = normalizeRequest({ taskId: 'abc', containers: [{ name: 'web', portMappings: [{ containerPort: 80 }, { containerPort: 81, hostPort: 0, protocol: 'UDP' }] }] });
  assert.equal(n.mode, 'bridge');
  assert.equal(n.isolation, 'task');
  assert.deepEqual(n.ports, [
    { containerName: 'web', protocol: 'tcp', containerPort: 80, hostPort: undefined },
    { containerName: 'web', protocol: 'udp', containerPort: 81, hostPort: undefined },
  ]);
});

test('host and awsvpc use the container port as host port and refuse another one', () => {
  const n = normalizeRequest({ taskId: 't', mode: 'host', cgroup: '/berth/t', containers: [{ name: 'a', portMappings: [{ containerPort: 8080 }] }] });
  assert.equal(n.ports[0]?.hostPort, 8080);
  assert.throws(() => normalizeRequest({ taskId: 't', mode: 'awsvpc', containers: [{ name: 'a', portMappings: [{ containerPort: 80, hostPort: 81 }] }] }), /must equal containerPort/);
});

test('bad requests say what is wrong', () => {
  const bad: [unknown, RegExp][] = [
    [{ taskId: 'arn:aws:ecs:x', containers: [{ name: 'a' }] }, /pass the id, not the ARN/],
    [{ taskId: 't', mode: 'nat', containers: [{ name: 'a' }] }, /not one of bridge, host, awsvpc, none/],
    [{ taskId: 't', mode: 'awsvpc', isolation: 'container', containers: [{ name: 'a' }] }, /applies to bridge and none/],
    [{ taskId: 't', containers: [] }, /no containers/],
    [{ taskId: 't', containers: [{ name: 'a' }, { name: 'a' }] }, /names a container twice/],
    [{ taskId: 't', mode: 'none', containers: [{ name: 'a', portMappings: [{ containerPort: 1 }] }] }, /none mode cannot have port mappings/],
    [{ taskId: 't', containers: [{ name: 'a', portMappings: [{ containerPort: 70000 }] }] }, /containerPort 70000 must be an integer/],
    [{ taskId: 't', containers: [{ name: 'a', portMappings: [{ containerPort: 1, protocol: 'sctp' }] }] }, /must be tcp or udp/],
    [{ taskId: 't', containers: [{ name: 'a', portMappings: [{ containerPort: 1, hostPort: 9 }, { containerPort: 2, hostPort: 9 }] }] }, /maps host port tcp\/9 twice/],
    [{ taskId: 't', containers: [{ name: 'a', portMappings: [{ containerPortRange: '1-2' }] }] }, /containerPortRange is not supported/],
    [{ taskId: 't', mode: 'host', containers: [{ name: 'a' }] }, /host mode needs the task's cgroup/],
    [{ taskId: 't', mode: 'host', cgroup: 'berth/t', containers: [{ name: 'a' }] }, /absolute path of 2 plain names/],
    [{ taskId: 't', mode: 'host', cgroup: '/berth/t/c', containers: [{ name: 'a' }] }, /absolute path of 2 plain names/],
    [{ taskId: 't', mode: 'host', cgroup: '/berth/..', containers: [{ name: 'a' }] }, /absolute path of 2 plain names/],
    [{ taskId: 't', mode: 'host', cgroup: '/berth/"x', containers: [{ name: 'a' }] }, /absolute path of 2 plain names/],
  ];
  for (const [req, msg] of bad) assert.throws(() => normalizeRequest(req as never), (e: Error) => e instanceof NetworkRequestError && msg.test(e.message));
});

test("a host-mode task's cgroup is kept relative, as nft names it; other modes ignore it", () => {
  assert.equal(normalizeRequest({ taskId: 't', mode: 'host', cgroup: '/berth/t', containers: [{ name: 'a' }] }).cgroup, 'berth/t');
  assert.equal(normalizeRequest({ taskId: 't', mode: 'bridge', cgroup: '/berth/t', containers: [{ name: 'a' }] }).cgroup, undefined);
  const other = normalizeRequest({ taskId: 't', mode: 'host', cgroup: '/berth/u', containers: [{ name: 'a' }] });
  assert.notEqual(fingerprint(other), fingerprint(normalizeRequest({ taskId: 't', mode: 'host', cgroup: '/berth/t', containers: [{ name: 'a' }] })));
  // A bridge task's fingerprint is what it was before host mode had a cgroup (saved records match).
  assert.equal(fingerprint(normalizeRequest({ taskId: 't', containers: [{ name: 'a' }] })), '["bridge","task",["a"],[]]');
});

test('the fingerprint tells requests apart', () => {
  const a = normalizeRequest({ taskId: 't', containers: [{ name: 'a', portMappings: [{ containerPort: 80 }] }] });
  const b = normalizeRequest({ taskId: 't', containers: [{ name: 'a', portMappings: [{ containerPort: 80, hostPort: 8080 }] }] });
  assert.notEqual(fingerprint(a), fingerprint(b));
  assert.equal(fingerprint(a), fingerprint(normalizeRequest({ taskId: 't', mode: 'bridge', containers: [{ name: 'a', portMappings: [{ containerPort: 80, protocol: 'tcp' }] }] })));
});
