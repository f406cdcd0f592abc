import { it } from 'node:test';
import assert from 'node:assert/strict';
import { KindRegistry } from './kinds.ts';
import { routeOf } from './route.ts';
import { representationOf } from './table.ts';
import { aggregatedVersion } from './discovery.ts';

const r = new KindRegistry();
const view = (p: string): unknown => {
  const x = routeOf(r, p);
  return x && [x.kind.plural, x.namespace, x.name, x.subresource];
};

it('routes core and group paths, namespaced and not, and a namespace\'s own subresources', () => {
  assert.deepEqual(view('/api/v1/namespaces/default/configmaps/a'), ['configmaps', 'default', 'a', undefined]);
  assert.deepEqual(view('/api/v1/configmaps'), ['configmaps', undefined, undefined, undefined]);
  assert.deepEqual(view('/api/v1/namespaces/team'), ['namespaces', undefined, 'team', undefined]);
  assert.deepEqual(view('/api/v1/namespaces/team/finalize'), ['namespaces', undefined, 'team', 'finalize']);
  assert.deepEqual(view('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases'), ['leases', 'kube-node-lease', undefined, undefined]);
  assert.deepEqual(view('/api/v1/namespaces/default/pods/web/status'), ['pods', 'default', 'web', 'status']);
  assert.equal(view('/api/v1/namespaces/default/podtemplates'), undefined);
  assert.equal(view('/apis/coordination.k8s.io/v2/leases'), undefined);
});

it('reads the representation kubectl asks for from Accept', () => {
  assert.equal(representationOf('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'), 'table');
  assert.equal(representationOf('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json'), 'metadata');
  assert.equal(representationOf('application/json;as=Other;v=v1;g=x,application/json'), 'object');
  assert.equal(aggregatedVersion('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'), 'v2beta1');
  assert.equal(aggregatedVersion('application/json'), undefined);
});
