/**
 * The XML the AWS XML protocols speak (REST-XML, Query, EC2): a writer for answers
 * (elements in the order the API reference lists them, text escaped) and a small reader
 * for request bodies (S3's CreateBucketConfiguration, CompleteMultipartUpload, Delete).
 * The reader accepts what an XML 1.0 document of elements and text is (declaration,
 * comments, attributes, entities, CDATA) and refuses anything else as not well formed.
 *
 * Written here rather than taken from npm: the writer is 20 lines over escapeXml, and the
 * reader must refuse DTDs and bound nesting, which general parsers (fast-xml-parser,
 * sax) leave to options; what Berth reads is a few small documents.
 */

/** A piece of an answer: a value (text) or nested elements; undefined and null are left out. */
export type XmlValue = string | number | boolean | undefined | null | XmlNode | readonly XmlNode[];
export interface XmlNode {
  readonly name: string;
  readonly value: XmlValue;
}

/** One element: `el('Key', 'a.txt')`, `el('Contents', [el('Key', k), el('Size', 3)])`. */
export function el(name: string, value: XmlValue): XmlNode {
  return { name, value };
}

/** A whole answer: the declaration and the root element, in `namespace` when one is given. */
export function xmlDocument(root: string, children: readonly XmlNode[], namespace?: string): string {
  const xmlns = namespace === undefined ? '' : ` xmlns="${escapeXml(namespace)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${xmlns}>${children.map(render).join('')}</${root}>`;
}

function render(node: XmlNode): string {
  const v = node.value;
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return `<${node.name}>${v.map(render).join('')}</${node.name}>`;
  if (typeof v === 'object') return `<${node.name}>${render(v as XmlNode)}</${node.name}>`;
  const text = escapeXml(String(v));
  return text === '' ? `<${node.name}/>` : `<${node.name}>${text}</${node.name}>`;
}

/** Text as XML character data. Quotes too: S3 writes ETags as `&quot;…&quot;`. */
export function escapeXml(text: string): string {
  // Characters XML 1.0 cannot carry at all are written as numeric references, as S3 does.
  return text.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      default: return `&#x${c.charCodeAt(0).toString(16)};`;
    }
  });
}

/** An element of a parsed request body: its local name (namespace prefix dropped), children and text. */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  /** The concatenated character data directly inside the element. */
  text: string;
}

/** The body is not well-formed XML: the caller answers MalformedXML. */
export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
/** Nesting no AWS request body comes near; a bound keeps a hostile body from exhausting the stack. */
const MAX_DEPTH = 32;

/** Parses a document and returns its root element. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => { throw new XmlSyntaxError(`${what} at offset ${i}`); };
  const skipMisc = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else return;
    }
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const element = (depth: number): XmlElement => {
    if (depth > MAX_DEPTH) fail('elements nested too deeply');
    if (text[i] !== '<') fail('expected an element');
    i++;
    const qname = name();
    // Attributes (xmlns among them) are read and ignored: no AWS request body carries data in them.
    for (;;) {
      const before = i;
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text[i] === '/' || text[i] === '>') break;
      if (i === before) fail('expected whitespace before an attribute');
      name();
      while (/\s/.test(text[i] ?? '')) i++;
      if (text[i] !== '=') fail('expected = after an attribute name');
      i++;
      while (/\s/.test(text[i] ?? '')) i++;
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      const end = text.indexOf(quote!, i + 1);
      if (end < 0) fail('unterminated attribute value');
      i = end + 1;
    }
    const node: XmlElement = { name: qname.slice(qname.indexOf(':') + 1), children: [], text: '' };
    if (text[i] === '/') {
      if (text[i + 1] !== '>') fail('expected />');
      i += 2;
      return node;
    }
    i++;
    for (;;) {
      if (i >= text.length) fail(`unterminated element <${qname}>`);
      if (text.startsWith('</', i)) {
        i += 2;
        if (name() !== qname) fail(`mismatched closing tag for <${qname}>`);
        while (/\s/.test(text[i] ?? '')) i++;
        if (text[i] !== '>') fail('expected >');
        i++;
        return node;
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA section');
        node.text += text.slice(i + 9, end);
        i = end + 3;
      } else if (text[i] === '<') {
        node.children.push(element(depth + 1));
      } else {
        const end = text.indexOf('<', i);
        node.text += decodeEntities(text.slice(i, end < 0 ? text.length : end));
        i = end < 0 ? text.length : end;
      }
    }
  };
  skipMisc();
  const root = element(0);
  skipMisc();
  if (i !== text.length) fail('content after the root element');
  return root;
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new XmlSyntaxError('a bare & in text (write &amp;)');
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff) throw new XmlSyntaxError(`bad character reference ${whole}`);
      return String.fromCodePoint(code);
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[ref]!;
  });
}

/** The children of `parent` named `name`. */
export function childrenNamed(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((c) => c.name === name);
}

/** The text of the first child named `name`, or undefined. */
export function childText(parent: XmlElement, name: string): string | undefined {
  return parent.children.find((c) => c.name === name)?.text;
}
