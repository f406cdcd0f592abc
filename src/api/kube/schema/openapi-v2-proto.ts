/**
 * `/openapi/v2` in the encoding client-go's discovery asks for
 * (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): the swagger
 * document as gnostic's `openapi.v2.Document` message (google/gnostic
 * openapiv2/OpenAPIv2.proto). client-go's `OpenAPISchema()` knows no JSON fallback, and
 * kubectl reads it whenever it validates on the client: `kubectl apply -f` of a `List`, whose
 * kind the server's OpenAPI v3 does not name, so field validation cannot be left to the server.
 *
 * Encoded: `swagger`, `info`, `paths` (each operation's id, tags, media types, schemes,
 * responses and `x-kubernetes-*` extensions; parameters are left out: kubectl's validation,
 * explain and apply read definitions only) and every definition with the Schema fields the
 * Kubernetes definitions use. Vendor extensions and `default`/`enum`/`example` values are
 * gnostic `Any` messages holding YAML text; JSON is YAML, so they hold the value's JSON.
 */

type Obj = Record<string, unknown>;

/** The media type client-go asks for. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/**
 * The one the API server (kube-openapi's handler) answers with: `@` is no token character, so
 * client-go's mime parser refuses the asked-for name as a Content-Type.
 */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** A protobuf message being written: fields appended in order, nested messages as bytes. */
class Writer {
  readonly #parts: Buffer[] = [];

  #varint(n: number): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) b |= 0x80;
      bytes.push(b);
    } while (v !== 0n);
    this.#parts.push(Buffer.from(bytes));
  }

  #tag(field: number, wire: number): void {
    this.#varint((field << 3) | wire);
  }

  bytes(field: number, value: Buffer): this {
    this.#tag(field, 2);
    this.#varint(value.length);
    this.#parts.push(value);
    return this;
  }

  string(field: number, value: unknown): this {
    return typeof value === 'string' && value !== '' ? this.bytes(field, Buffer.from(value, 'utf8')) : this;
  }

  strings(field: number, values: unknown): this {
    if (Array.isArray(values)) for (const v of values) if (typeof v === 'string') this.bytes(field, Buffer.from(v, 'utf8'));
    return this;
  }

  /** A bool, left out when false (proto3's default) unless `always` (a oneof member says it was set). */
  bool(field: number, value: unknown, always = false): this {
    if (value === true || (always && value === false)) {
      this.#tag(field, 0);
      this.#varint(value === true ? 1 : 0);
    }
    return this;
  }

  int(field: number, value: unknown): this {
    if (typeof value === 'number' && value !== 0) {
      this.#tag(field, 0);
      this.#varint(value);
    }
    return this;
  }

  double(field: number, value: unknown): this {
    if (typeof value === 'number' && value !== 0) {
      this.#tag(field, 1);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(value);
      this.#parts.push(b);
    }
    return this;
  }

  message(field: number, w: Writer | undefined): this {
    return w ? this.bytes(field, w.done()) : this;
  }

  done(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.entries(v) : []);

/** gnostic `Any`: the value as YAML text (field 2). */
const any = (value: unknown): Writer => new Writer().string(2, JSON.stringify(value));

/** gnostic `NamedAny` entries for the `x-` keys of `o`, at `field`. */
function extensions(w: Writer, field: number, o: Obj): Writer {
  for (const [name, value] of Object.entries(o)) {
    if (name.startsWith('x-')) w.message(field, new Writer().string(1, name).message(2, any(value)));
  }
  return w;
}

/** gnostic `Schema`. */
function schema(s: Obj): Writer {
  const w = new Writer()
    .string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description);
  if (s.default !== undefined) w.message(5, any(s.default));
  w.double(6, s.multipleOf).double(7, s.maximum).bool(8, s.exclusiveMaximum).double(9, s.minimum).bool(10, s.exclusiveMinimum)
    .int(11, s.maxLength).int(12, s.minLength).string(13, s.pattern).int(14, s.maxItems).int(15, s.minItems).bool(16, s.uniqueItems)
    .int(17, s.maxProperties).int(18, s.minProperties).strings(19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) w.message(20, any(e));
  if (isObj(s.additionalProperties)) w.message(21, new Writer().message(1, schema(s.additionalProperties)));
  else if (typeof s.additionalProperties === 'boolean') w.message(21, new Writer().bool(2, s.additionalProperties, true));
  if (s.type !== undefined) w.message(22, new Writer().strings(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (isObj(s.items)) w.message(23, new Writer().message(1, schema(s.items)));
  else if (Array.isArray(s.items)) w.message(23, s.items.filter(isObj).reduce((iw, i) => iw.message(1, schema(i)), new Writer()));
  if (Array.isArray(s.allOf)) for (const a of s.allOf) if (isObj(a)) w.message(24, schema(a));
  if (isObj(s.properties)) {
    w.message(25, entries(s.properties).reduce((pw, [name, p]) => pw.message(1, new Writer().string(1, name).message(2, schema(isObj(p) ? p : {}))), new Writer()));
  }
  w.string(26, s.discriminator).bool(27, s.readOnly);
  if (s.example !== undefined) w.message(30, any(s.example));
  return extensions(w, 31, s);
}

/** gnostic `Operation`, without its parameters (see the file's comment). */
function operation(op: Obj): Writer {
  const w = new Writer().strings(1, op.tags).string(2, op.summary).string(3, op.description).string(5, op.operationId)
    .strings(6, op.produces).strings(7, op.consumes);
  const responses = new Writer();
  for (const [code, r] of entries(op.responses)) {
    const rw = new Writer().string(1, isObj(r) ? r.description : undefined);
    if (isObj(r) && isObj(r.schema)) rw.message(2, new Writer().message(1, schema(r.schema)));
    responses.message(1, new Writer().string(1, code).message(2, new Writer().message(1, rw)));
  }
  w.message(9, responses).strings(10, op.schemes).bool(11, op.deprecated);
  return extensions(w, 13, op);
}

const PATH_METHODS: Readonly<Record<string, number>> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** The swagger 2.0 document `doc` (as `/openapi/v2` answers it in JSON) as gnostic's `Document`. */
export function encodeOpenapiV2(doc: Obj): Buffer {
  const info = isObj(doc.info) ? doc.info : {};
  const w = new Writer().string(1, doc.swagger).message(2, extensions(new Writer().string(1, info.title).string(2, info.version).string(3, info.description), 7, info))
    .string(3, doc.host).string(4, doc.basePath).strings(5, doc.schemes).strings(6, doc.consumes).strings(7, doc.produces);
  const paths = new Writer();
  for (const [path, item] of entries(doc.paths)) {
    const iw = new Writer();
    for (const [method, op] of entries(item)) {
      const field = PATH_METHODS[method];
      if (field !== undefined && isObj(op)) iw.message(field, operation(op));
    }
    paths.message(2, new Writer().string(1, path).message(2, isObj(item) ? extensions(iw, 10, item) : iw));
  }
  w.message(8, paths);
  w.message(9, entries(doc.definitions).reduce((dw, [name, s]) => dw.message(1, new Writer().string(1, name).message(2, schema(isObj(s) ? s : {}))), new Writer()));
  return extensions(w, 16, doc).done();
}

/**
 * Encodings already made, by document: the schemas cache each served list's document, so a
 * server encodes each once. Bounded by those documents' lives (a WeakMap holds no key alive).
 */
const ENCODED = new WeakMap<object, Buffer>();

/** {@link encodeOpenapiV2}, once per document object. */
export function openapiV2Protobuf(doc: object): Buffer {
  let out = ENCODED.get(doc);
  if (!out) {
    out = encodeOpenapiV2(doc as Obj);
    ENCODED.set(doc, out);
  }
  return out;
}
