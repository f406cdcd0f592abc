import { it } from 'node:test';
import assert from 'node:assert/strict';
import { KindRegistry } from './kinds.ts';
import { MAX_TARGETS, parseTarget, RequestTargets } from './request-target.ts';

const registry = new KindRegistry();

it('a request line is parsed once and answers what parsing it again gives, per method', () => {
  const targets = new RequestTargets(registry);
  const url = '/api/v1/namespaces/default/configmaps/a/?watch=1&fieldSelector=metadata.name%3Db';
  const first = targets.of('GET', url);
  assert.equal(targets.of('GET', url), first, 'kept');
  assert.deepEqual(first, parseTarget(registry, 'GET', url));
  assert.equal(first.path, '/api/v1/namespaces/default/configmaps/a');
  assert.equal(first.search, '?watch=1&fieldSelector=metadata.name%3Db');
  assert.equal(first.route?.name, 'a');
  assert.equal(first.attrs.verb, 'watch');
  assert.equal(targets.of('DELETE', url).attrs.verb, 'delete', 'the method is part of the line');
  assert.equal(targets.of('GET', '/api/v1/namespaces/default/configmaps').attrs.verb, 'list');
});

it('a path with a malformed escape keeps why it names no route, for the handler to throw after authenticating', () => {
  const t = new RequestTargets(registry).of('GET', '/api/v1/namespaces/default/configmaps/%E0%A4%A');
  assert.equal(t.route, undefined);
  assert.ok(t.routeError instanceof URIError);
  assert.equal(t.attrs.resourceRequest, true);
});

it('keeps at most its bound of request lines', () => {
  const targets = new RequestTargets(registry);
  const first = targets.of('GET', '/api/v1/namespaces/default/configmaps/n0');
  for (let i = 1; i <= MAX_TARGETS; i++) targets.of('GET', `/api/v1/namespaces/default/configmaps/n${i}`);
  assert.notEqual(targets.of('GET', '/api/v1/namespaces/default/configmaps/n0'), first, 'the oldest line was forgotten and parsed again');
});
