import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childrenNamed, childText, el, escapeXml, parseXml, xmlDocument, XmlSyntaxError } from './xml.ts';

test('an answer document has the declaration, the namespace given and its elements in order; absent values are left out', () => {
  const doc = xmlDocument('ListBucketResult', [
    el('Name', 'b'), el('Delimiter', undefined), el('IsTruncated', false),
    el('Contents', [el('Key', 'a&b<c>.txt'), el('ETag', '"abc"'), el('Size', 0)]),
    el('Prefix', ''),
  ], 'http://s3.amazonaws.com/doc/2006-03-01/');
  assert.equal(doc, '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    + '<Name>b</Name><IsTruncated>false</IsTruncated><Contents><Key>a&amp;b&lt;c&gt;.txt</Key><ETag>&quot;abc&quot;</ETag><Size>0</Size></Contents><Prefix/></ListBucketResult>');
});

test('a document without a namespace has a bare root element', () => {
  assert.equal(xmlDocument('Error', [el('Code', 'X')]), '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>X</Code></Error>');
});

test('characters XML cannot carry as text become character references', () => {
  assert.equal(escapeXml('a\u0001b\tc\n'), 'a&#x1;b\tc\n');
});

test('reads request bodies as botocore writes them: namespace, nesting, entities, CDATA, comments', () => {
  const root = parseXml(`<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Object><Key>a &amp; b &#x41;&#66;</Key></Object>
  <Object><Key><![CDATA[<raw>]]></Key><VersionId/></Object>
  <s3:Quiet xmlns:s3="x">true</s3:Quiet>
</Delete>`);
  assert.equal(root.name, 'Delete');
  assert.deepEqual(childrenNamed(root, 'Object').map((o) => childText(o, 'Key')), ['a & b AB', '<raw>']);
  assert.equal(childText(root, 'Quiet'), 'true');
  assert.equal(childText(root, 'Nope'), undefined);
});

for (const [what, text] of [
  ['an unclosed element', '<a><b></b>'],
  ['a mismatched closing tag', '<a></b>'],
  ['a bare ampersand', '<a>x & y</a>'],
  ['two roots', '<a/><b/>'],
  ['text only', 'hello'],
  ['an unknown entity', '<a>&nbsp;</a>'],
  ['an unquoted attribute', '<a x=1></a>'],
  ['very deep nesting', '<a>'.repeat(100) + '</a>'.repeat(100)],
] as const) {
  test(`refuses ${what} as not well formed`, () => {
    assert.throws(() => parseXml(text), XmlSyntaxError);
  });
}
