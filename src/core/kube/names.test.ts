import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generatedName, invalidMessage, labelErrors, nameErrors } from './names.ts';

describe('object names', () => {
  it('subdomains take dots, labels do not, and each says why with the server message', () => {
    assert.deepEqual(nameErrors('subdomain', 'a.b-c'), []);
    const [e] = nameErrors('label', 'a.b');
    assert.equal(e?.field, 'metadata.name');
    assert.match(e!.message, /^Invalid value: "a\.b": a lowercase RFC 1123 label must consist of/);
    assert.equal(nameErrors('subdomain', 'x'.repeat(254)).length, 1);
  });

  it('join several errors as the server aggregates them', () => {
    const errors = nameErrors('label', `${'A'.repeat(64)}`);
    assert.equal(errors.length, 2);
    assert.match(invalidMessage('Namespace', 'A', errors), /^Namespace "A" is invalid: \[metadata\.name: Invalid value: .*, metadata\.name: Invalid value: /);
  });

  it('generateName keeps at most 58 characters of the prefix and adds 5', () => {
    const name = generatedName(`${'p'.repeat(70)}`, () => 0);
    assert.equal(name.length, 63);
    assert.equal(generatedName('web-', () => 0.99), 'web-99999');
  });

  it('label keys and values follow the label alphabet', () => {
    assert.deepEqual(labelErrors({ 'example.com/app': 'web', tier: '' }), []);
    assert.equal(labelErrors({ 'bad key': 'x' }).length, 1);
    assert.equal(labelErrors({ app: '-web' }).length, 1);
  });
});
