import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidReferenceError, formatReference, isEcrHost, manifestReference, parseReference, resolveReference } from './reference.ts';

const D = `sha256:${'ab'.repeat(32)}`;
const BERTH = '127.0.0.1:8700';

const valid: [string, { registry?: string; repository: string; tag?: string; digest?: string }][] = [
  ['nginx', { repository: 'nginx', tag: 'latest' }],
  ['nginx:1.25', { repository: 'nginx', tag: '1.25' }],
  ['nginx:1.25-alpine_x.Y', { repository: 'nginx', tag: '1.25-alpine_x.Y' }],
  ['library/nginx', { repository: 'library/nginx', tag: 'latest' }],
  [`busybox@${D}`, { repository: 'busybox', digest: D }],
  [`busybox:1.36@${D}`, { repository: 'busybox', tag: '1.36', digest: D }],
  ['localhost:5000/team/app:v1', { registry: 'localhost:5000', repository: 'team/app', tag: 'v1' }],
  ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
  ['localhost:5000', { repository: 'localhost', tag: '5000' }],
  ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app:tag', { registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com', repository: 'app', tag: 'tag' }],
  ['docker.io/library/nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
  ['Registry.Example.COM:443/a/b/c', { registry: 'registry.example.com:443', repository: 'a/b/c', tag: 'latest' }],
  ['[::1]:5000/app:v2', { registry: '[::1]:5000', repository: 'app', tag: 'v2' }],
  ['10.0.0.1:5000/app', { registry: '10.0.0.1:5000', repository: 'app', tag: 'latest' }],
  ['a__b/c-d/e--f.g_h', { repository: 'a__b/c-d/e--f.g_h', tag: 'latest' }],
  ['x', { repository: 'x', tag: 'latest' }],
  [`app:${'t'.repeat(128)}`, { repository: 'app', tag: 't'.repeat(128) }],
];

for (const [text, want] of valid) {
  test(`parses ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`, () => {
    const r = parseReference(text);
    assert.deepEqual(r, { registry: want.registry, repository: want.repository, tag: want.tag, digest: want.digest });
  });
}

const invalid: [string, RegExp][] = [
  ['', /empty/],
  [' nginx', /whitespace/],
  ['nginx\n', /whitespace/],
  ['ngi\u0000nx', /control/],
  ['Nginx', /lowercase: write "nginx"/],
  ['Team/App:v1', /lowercase: write "team\/app"/],
  ['../etc/passwd', /"\.\." component/],
  ['a/../b', /"\.\." component/],
  ['localhost:5000/../x', /"\.\." component/],
  ['a/./b', /"\." component/],
  ['/nginx', /empty path component/],
  ['nginx/', /empty path component/],
  ['a//b', /empty path component/],
  ['localhost:5000/', /names no repository/],
  ['nginx:', /tag "" is not valid/],
  [':latest', /names no repository/],
  ['nginx:.hidden', /tag ".hidden"/],
  ['nginx:-x', /tag "-x"/],
  [`nginx:${'t'.repeat(129)}`, /tag/],
  ['nginx:a:b', /component "nginx:a"/],
  ['nginx@', /digest/],
  ['nginx@sha256:abc', /digest/],
  [`nginx@sha256:${'AB'.repeat(32)}`, /digest/],
  [`nginx@md5:${'ab'.repeat(16)}`, /digest/],
  [`nginx@${D}@${D}`, /digest/],
  ['a..b', /component "a\.\.b"/],
  ['a___b', /component/],
  ['-nginx', /component/],
  ['nginx-', /component/],
  ['ng!nx', /component/],
  ['http://registry.example.com/app', /URL scheme/],
  ['registry.example.com:99999/app', /port 99999/],
  ['registry.example.com:0/app', /port 0/],
  ['registry.example.com:abc/app', /not host or host:port/],
  ['bad_host.example.com/app', /not a valid host/],
  ['-bad.example.com/app', /not a valid host/],
  [`${'a'.repeat(250)}/${'b'.repeat(10)}`, /longer than 255/],
  ['x'.repeat(2000), /longer than 1024/],
];

for (const [text, why] of invalid) {
  test(`refuses ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`, () => {
    assert.throws(() => parseReference(text), (e: unknown) => e instanceof InvalidReferenceError && why.test(e.message) && e.message.startsWith('invalid image reference'));
  });
}

const resolutions: [string, string, string | undefined][] = [
  ['nginx', `${BERTH}/library/nginx:latest`, 'docker-hub'],
  ['nginx:1.25', `${BERTH}/library/nginx:1.25`, 'docker-hub'],
  ['library/nginx', `${BERTH}/library/nginx:latest`, 'docker-hub'],
  ['bitnami/nginx', `${BERTH}/bitnami/nginx:latest`, 'docker-hub'],
  ['docker.io/nginx', `${BERTH}/library/nginx:latest`, 'docker-hub'],
  ['docker.io/library/nginx', `${BERTH}/library/nginx:latest`, 'docker-hub'],
  ['index.docker.io/library/busybox:1.36', `${BERTH}/library/busybox:1.36`, 'docker-hub'],
  ['registry-1.docker.io/team/app', `${BERTH}/team/app:latest`, 'docker-hub'],
  [`busybox@${D}`, `${BERTH}/library/busybox@${D}`, 'docker-hub'],
  ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app:tag', `${BERTH}/app:tag`, 'ecr'],
  ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app', `${BERTH}/team/app:latest`, 'ecr'],
  ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app', `${BERTH}/app:latest`, 'ecr'],
  [`${BERTH}/web:v1`, `${BERTH}/web:v1`, 'berth'],
  ['localhost:5000/team/app:v1', 'localhost:5000/team/app:v1', undefined],
  ['quay.io/coreos/etcd', 'quay.io/coreos/etcd:latest', undefined],
  ['12345.dkr.ecr.us-east-1.amazonaws.com/app', '12345.dkr.ecr.us-east-1.amazonaws.com/app:latest', undefined],
];

for (const [text, want, mirrorOf] of resolutions) {
  test(`resolves ${text} to ${want}`, () => {
    const r = resolveReference(text, BERTH);
    assert.equal(formatReference(r), want);
    assert.equal(r.mirrorOf, mirrorOf);
    assert.equal(r.berth, mirrorOf !== undefined);
  });
}

test('ECR hosts are recognised by account, region and partition', () => {
  assert.ok(isEcrHost('123456789012.dkr.ecr.us-east-1.amazonaws.com'));
  assert.ok(isEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn'));
  assert.ok(!isEcrHost('123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example'));
  assert.ok(!isEcrHost('dkr.ecr.us-east-1.amazonaws.com'));
});

test('the manifest to ask for is the digest when there is one, else the tag', () => {
  assert.equal(manifestReference(parseReference(`a:b@${D}`)), D);
  assert.equal(manifestReference(parseReference('a:b')), 'b');
  assert.equal(manifestReference(parseReference('a')), 'latest');
});

test('formatting a parsed reference parses back to the same reference', () => {
  for (const [text] of valid) {
    const r = parseReference(text);
    assert.deepEqual(parseReference(formatReference(r)), r);
  }
});
