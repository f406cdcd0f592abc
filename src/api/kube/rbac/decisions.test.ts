import { it } from 'node:test';
import assert from 'node:assert/strict';
import { authorize } from './authorizer.ts';
import { authorizeKept } from './decisions.ts';
import { EMPTY_SNAPSHOT, type KubeUser, type RbacSnapshot, type RequestAttributes } from './types.ts';

const attrs: RequestAttributes = { resourceRequest: true, verb: 'get', apiGroup: '', apiVersion: 'v1', resource: 'configmaps', subresource: '', namespace: 'default', name: 'a' };
const viewer: KubeUser = { username: 'v', groups: ['system:authenticated'], accessPolicies: [{ clusterRole: 'view', namespaces: ['default'] }] };

it('a kept decision is authorize()\'s for the same snapshot, user and attributes, and a new object of any of them is decided afresh', () => {
  const first = authorizeKept(viewer, attrs, EMPTY_SNAPSHOT);
  assert.deepEqual(first, authorize(viewer, attrs, EMPTY_SNAPSHOT));
  assert.equal(first.allowed, true);
  assert.equal(authorizeKept(viewer, attrs, EMPTY_SNAPSHOT), first, 'kept');
  const elsewhere: RequestAttributes = { ...attrs, namespace: 'kube-system' };
  assert.equal(authorizeKept(viewer, elsewhere, EMPTY_SNAPSHOT).allowed, false, 'other attributes');
  const writer: RequestAttributes = { ...attrs, verb: 'update' };
  assert.equal(authorizeKept(viewer, writer, EMPTY_SNAPSHOT).allowed, false);
  const masters: KubeUser = { username: 'm', groups: ['system:masters'] };
  assert.equal(authorizeKept(masters, writer, EMPTY_SNAPSHOT).allowed, true, 'another user');
  // A new snapshot (after an RBAC change) is decided again.
  const changed: RbacSnapshot = { ...EMPTY_SNAPSHOT };
  const again = authorizeKept(viewer, attrs, changed);
  assert.notEqual(again, first);
  assert.deepEqual(again, authorize(viewer, attrs, changed));
});
