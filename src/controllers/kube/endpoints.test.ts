import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MANAGED_BY, MANAGED_BY_LABEL, reconcileEndpoints, SERVICE_NAME_LABEL, type EndpointSlice, type Service } from './endpoints.ts';
import type { Pod } from './workload-objects.ts';

const svc: Service = {
  metadata: { name: 'web', namespace: 'default', uid: 'svc-1', labels: { app: 'web' } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9100, targetPort: 9100 }] },
};
function pod(name: string, ip: string | undefined, ready: boolean, containerPort = 8080, labels = { app: 'web' }): Pod {
  return {
    metadata: { name, uid: `u-${name}`, namespace: 'default', labels },
    spec: { nodeName: 'i-0abc', containers: [{ name: 'web', ports: [{ name: 'http', containerPort }] }] },
    status: { phase: 'Running', ...(ip && { podIP: ip }), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

test('selected pods with an address become one slice and one Endpoints, named ports resolved per pod', () => {
  const actions = reconcileEndpoints(svc, [pod('a', '10.0.1.5', true), pod('b', '10.0.1.6', false), pod('c', undefined, false), pod('x', '10.0.1.9', true, 8080, { app: 'other' } as never)], [], undefined, () => 'k2x9p');
  const slice = actions.find((a) => a.type === 'create' && a.resource === 'endpointslices');
  const s = slice?.type === 'create' ? slice.object as EndpointSlice : undefined;
  assert.equal(s?.metadata.name, 'web-k2x9p');
  assert.deepEqual(s?.metadata.labels, { [SERVICE_NAME_LABEL]: 'web', [MANAGED_BY_LABEL]: MANAGED_BY });
  assert.deepEqual(s?.metadata.ownerReferences?.[0], { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-1', controller: true, blockOwnerDeletion: true });
  assert.deepEqual(s?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }]);
  assert.deepEqual(s?.endpoints.map((e) => [e.addresses[0], e.conditions.ready, e.targetRef.name, e.nodeName]), [['10.0.1.5', true, 'a', 'i-0abc'], ['10.0.1.6', false, 'b', 'i-0abc']]);
  const ep = actions.find((a) => a.type === 'create' && a.resource === 'endpoints');
  const subsets = ep?.type === 'create' ? (ep.object as { subsets: { addresses: { ip: string }[]; notReadyAddresses: { ip: string }[] }[] }).subsets : [];
  assert.deepEqual(subsets.map((x) => [x.addresses.map((a) => a.ip), x.notReadyAddresses.map((a) => a.ip)]), [[['10.0.1.5'], ['10.0.1.6']]]);
});

test('pods whose named port differs get a slice of their own', () => {
  const actions = reconcileEndpoints(svc, [pod('a', '10.0.1.5', true, 8080), pod('b', '10.0.1.6', true, 9090)], [], undefined, (() => { let n = 0; return () => `s${++n}`; })());
  const slices = actions.filter((a) => a.type === 'create' && a.resource === 'endpointslices').map((a) => a.type === 'create' && (a.object as EndpointSlice));
  assert.deepEqual(slices.map((s) => s && [s.ports[0]!.port, s.endpoints.map((e) => e.targetRef.name)]), [[8080, ['a']], [9090, ['b']]]);
});

test('an unchanged slice is not written; a changed one is updated at its resourceVersion; a Service without a selector is left alone', () => {
  const first = reconcileEndpoints(svc, [pod('a', '10.0.1.5', true)], [], undefined, () => 'aaaaa');
  const created = first.find((a) => a.type === 'create' && a.resource === 'endpointslices');
  const stored = { ...(created?.type === 'create' ? created.object as EndpointSlice : undefined)!, metadata: { ...(created?.type === 'create' ? (created.object as EndpointSlice).metadata : {}), uid: 's', resourceVersion: '41' } };
  const ep = first.find((a) => a.type === 'create' && a.resource === 'endpoints');
  const storedEp = { ...(ep?.type === 'create' ? ep.object as { metadata: object; subsets: unknown[] } : { metadata: {}, subsets: [] }), metadata: { name: 'web', resourceVersion: '42' } };
  assert.deepEqual(reconcileEndpoints(svc, [pod('a', '10.0.1.5', true)], [stored], storedEp, () => 'bbbbb'), []);
  const changed = reconcileEndpoints(svc, [pod('a', '10.0.1.5', false)], [stored], storedEp, () => 'bbbbb');
  assert.deepEqual(changed.map((a) => [a.type, a.resource, a.type === 'update' ? a.resourceVersion : '']), [['update', 'endpointslices', '41'], ['update', 'endpoints', '42']]);
  assert.deepEqual(reconcileEndpoints({ ...svc, spec: { ...svc.spec, selector: undefined } }, [pod('a', '10.0.1.5', true)], [], undefined, () => 'x'), []);
});
