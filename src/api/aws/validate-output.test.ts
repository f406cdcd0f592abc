import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateOutput, type ShapeModel } from './validate-output.ts';

const model: ShapeModel = {
  shapes: {
    Answer: { type: 'structure', members: { thing: 'Thing', things: 'Things', labels: 'Labels', failures: 'Things' }, required: ['thing'] },
    Thing: { type: 'structure', members: { name: 'String', status: 'Status', count: 'Integer', ratio: 'Double', on: 'Boolean', at: 'Timestamp' }, required: ['name'] },
    Things: { type: 'list', member: 'Thing' },
    Labels: { type: 'map', key: 'String', value: 'String' },
    String: { type: 'string', min: 1 },
    Status: { type: 'string', enum: ['ACTIVE', 'INACTIVE'] },
    Integer: { type: 'integer', min: 1 },
    Double: { type: 'double' },
    Boolean: { type: 'boolean' },
    Timestamp: { type: 'timestamp' },
  },
};

test('an answer that matches its shape has no findings, bounds aside', () => {
  assert.deepEqual(validateOutput(model, 'Answer', {
    thing: { name: 'a', status: 'ACTIVE', count: 0, ratio: 0.5, on: false, at: 1_765_000_000.123 },
    things: [], labels: { k: '' },
  }), []);
});

test('every member outside the model is named with its path', () => {
  assert.deepEqual(validateOutput(model, 'Answer', { thing: { name: 'a', extra: 1 }, things: [{ name: 'b', networkMode: 'bridge' }], other: true }), [
    'thing.extra: is not a member of Thing',
    'things[0].networkMode: is not a member of Thing',
    'other: is not a member of Answer',
  ]);
});

test('wrong types: ISO or millisecond timestamps, fractional integers, strings outside the enum, nulls', () => {
  assert.deepEqual(validateOutput(model, 'Answer', {
    thing: { name: 'a', status: 'RUNNING', count: 1.5, ratio: '0.5', on: 'true', at: '2026-12-06T20:00:00Z' },
    things: [{ name: 'b', at: 1_765_000_000_000 }, { name: null }],
    labels: { k: 1 },
    failures: {},
  }), [
    "thing.status: 'RUNNING' is not one of Status: ACTIVE, INACTIVE",
    'thing.count: must be a whole number, not number 1.5',
    'thing.ratio: must be a number, not the string "0.5"',
    'thing.on: must be true or false, not the string "true"',
    'thing.at: must be epoch seconds (a number), not the string "2026-12-06T20:00:00Z"',
    'things[0].at: 1765000000000 looks like epoch milliseconds; AWS JSON answers give seconds',
    'things[1].name: is null (AWS leaves a member out instead)',
    'labels.k: must be a string, not number 1',
    'failures: Things must be a list, not an object',
  ]);
});

test('a missing required member is reported where it should have been', () => {
  assert.deepEqual(validateOutput(model, 'Answer', { things: [{ status: 'ACTIVE' }] }), [
    'things[0].name: is required in Thing but missing',
    'thing: is required in Answer but missing',
  ]);
});

test('findings are bounded', () => {
  const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`m${i}`, i]));
  const findings = validateOutput(model, 'Labels', many);
  assert.equal(findings.length, 101);
  assert.equal(findings.at(-1), '…: more findings left out');
});
