import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthHost } from './eks-part.ts';

test('Berth\'s STS is its port on an API host or an IP literal, nothing else', () => {
  const hosts = ['127.0.0.1', 'localhost'];
  assert.ok(isBerthHost('127.0.0.1:8700', hosts, 8700));
  assert.ok(isBerthHost('localhost:8700', hosts, 8700));
  assert.ok(isBerthHost('172.30.208.1:8700', hosts, 8700), 'the hosts bridge address');
  assert.ok(!isBerthHost('127.0.0.1:8701', hosts, 8700));
  assert.ok(!isBerthHost('evil.example.com:8700', hosts, 8700));
  assert.ok(!isBerthHost('127.0.0.1', hosts, 8700));
});
