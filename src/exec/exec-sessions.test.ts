import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExecSessions, MAX_PENDING_SESSIONS, TOKEN_TTL_MS, type ExecBinding } from './exec-sessions.ts';

const B: ExecBinding = { caller: 'arn:aws:iam::000000000000:root', clusterArn: 'c', taskArn: 't', containerInstanceArn: 'i', containerName: 'app', command: '/bin/sh' };

test('a session opens once with its token', () => {
  const s = new ExecSessions();
  s.issue('s1', 'tok', B, 0);
  assert.equal(s.claim('s1', 'forged', 1), 'wrong-token');
  assert.deepEqual(s.claim('s1', 'tok', 1), B);
  assert.equal(s.claim('s1', 'tok', 2), 'unknown-session');
});

test('a token past its life is refused and spent', () => {
  const s = new ExecSessions();
  s.issue('s1', 'tok', B, 0);
  assert.equal(s.claim('s1', 'tok', TOKEN_TTL_MS + 1), 'expired');
  assert.equal(s.size, 0);
});

test('expired sessions are swept at the next issue, and the pending set is bounded', () => {
  const s = new ExecSessions();
  s.issue('old', 'a', B, 0);
  s.issue('new', 'b', B, TOKEN_TTL_MS + 1);
  assert.equal(s.size, 1);
  for (let i = 0; i < MAX_PENDING_SESSIONS + 5; i++) s.issue(`x${i}`, 't', B, TOKEN_TTL_MS + 2);
  assert.equal(s.size, MAX_PENDING_SESSIONS);
  assert.equal(s.claim('new', 'b', TOKEN_TTL_MS + 2), 'unknown-session');
});
