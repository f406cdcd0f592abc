/**
 * Generates src/api/kube/schema/data/definitions.json: the OpenAPI v2 definitions of the kinds
 * Berth's Kubernetes API server serves (src/api/kube/schema/kinds.ts) and everything they
 * reference, from the type declarations of the npm package kubernetes-models (a dev
 * dependency; its definitions, names, required fields, enums and descriptions are those of the
 * Kubernetes API), plus the `x-kubernetes-*` extensions from kube-schema-extensions.ts, which
 * the package does not carry.
 *
 *   node scripts/gen-kube-schemas.ts            # rewrite the data file
 *   node scripts/gen-kube-schemas.ts --check    # exit 1 when the data file is not what it would write
 *
 * Why generate rather than depend at run time: no npm package ships the Kubernetes OpenAPI
 * documents as data with their extensions (kubernetes-models ships TypeScript declarations and
 * compiled validators; @kubernetes/client-node and kubernetes-types ship types only); reading
 * declarations needs the TypeScript compiler, which Berth does not load at run time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { EXTRA_DEFINITIONS, KINDS } from '../src/api/kube/schema/kinds.ts';
import { extensions } from './kube-schema-extensions.ts';

const require = createRequire(import.meta.url);
const modelsRoot = dirname(require.resolve('kubernetes-models/package.json'));
const machineryRoot = dirname(require.resolve('@kubernetes-models/apimachinery/package.json'));
const modelsVersion = (JSON.parse(readFileSync(join(modelsRoot, 'package.json'), 'utf8')) as { version: string }).version;
const out = resolve(import.meta.dirname, '../src/api/kube/schema/data/definitions.json');

/** kubernetes-models 4.5.x carries the definitions of Kubernetes 1.33 (the closest release to 1.32 it has). */
const KUBERNETES_VERSION = '1.33';

type Schema = Record<string, unknown>;

/** Definitions that are scalars on the wire, with the type and format the API server gives them. */
const SCALARS: Record<string, Schema> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
};
/** Definitions that hold any JSON object. */
const OPEN_OBJECTS = new Set(['io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1', 'io.k8s.apimachinery.pkg.runtime.RawExtension', 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch']);

/** The declaration file of a definition: kubernetes-models lays them out by group and version. */
function fileOf(definition: string): string {
  const parts = definition.split('.');
  const type = parts.pop() as string;
  if (definition.startsWith('io.k8s.apimachinery.pkg.')) return join(machineryRoot, ...parts.slice(4), `${type}.d.ts`);
  if (!definition.startsWith('io.k8s.api.')) throw new Error(`no declaration file for ${definition}`);
  const [group, version] = parts.slice(3);
  if (group === 'core') return join(modelsRoot, version as string, `${type}.d.ts`);
  // The rbac group's folder is its full name (rbac.authorization.k8s.io), its definitions' short one (io.k8s.api.rbac.v1).
  const dir = ['apps', 'batch', 'autoscaling', 'policy'].includes(group as string) ? group : group === 'rbac' ? 'rbac.authorization.k8s.io' : `${group}.k8s.io`;
  return join(modelsRoot, dir as string, version as string, `${type}.d.ts`);
}

/** The definition a declaration file holds, from its path (the inverse of fileOf). */
function definitionOf(file: string): string {
  const type = file.replace(/\.d\.ts$/, '').split('/').pop() as string;
  if (file.startsWith(machineryRoot)) {
    const rel = file.slice(machineryRoot.length + 1).split('/').slice(0, -1);
    return ['io', 'k8s', 'apimachinery', 'pkg', ...rel, type].join('.');
  }
  const rel = file.slice(modelsRoot.length + 1).split('/').slice(0, -1);
  if (rel.length === 1) return `io.k8s.api.core.${rel[0]}.${type}`;
  return `io.k8s.api.${(rel[0] as string).split('.')[0]}.${rel[1]}.${type}`;
}

function resolveImport(fromFile: string, spec: string): string {
  const base = spec.startsWith('@kubernetes-models/apimachinery/')
    ? join(machineryRoot, spec.slice('@kubernetes-models/apimachinery/'.length))
    : resolve(dirname(fromFile), spec);
  return `${base.replace(/\.js$/, '')}.d.ts`;
}

function docOf(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const text = docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join('\n').trim();
  return text === '' ? undefined : text;
}

const definitions: Record<string, Schema> = {};
const queue: string[] = [];
const want = (name: string): void => {
  if (!(name in definitions) && !queue.includes(name)) queue.push(name);
};

function typeSchema(type: ts.TypeNode, imports: Map<string, string>): Schema {
  if (type.kind === ts.SyntaxKind.StringKeyword) return { type: 'string' };
  if (type.kind === ts.SyntaxKind.NumberKeyword) return { type: 'integer' };
  if (type.kind === ts.SyntaxKind.BooleanKeyword) return { type: 'boolean' };
  if (type.kind === ts.SyntaxKind.AnyKeyword || type.kind === ts.SyntaxKind.UnknownKeyword) return { type: 'object' };
  if (ts.isLiteralTypeNode(type) && ts.isStringLiteral(type.literal)) return { type: 'string' };
  if (ts.isUnionTypeNode(type)) {
    const literals = type.types.map((t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : undefined));
    if (literals.every((l) => l !== undefined)) return { type: 'string', enum: literals };
    throw new Error(`unsupported union ${type.getText()}`);
  }
  if (ts.isTypeLiteralNode(type)) {
    const index = type.members.find(ts.isIndexSignatureDeclaration);
    if (index !== undefined && index.type !== undefined) return { type: 'object', additionalProperties: typeSchema(index.type, imports) };
    return { type: 'object' };
  }
  if (ts.isTypeReferenceNode(type)) {
    const name = type.typeName.getText();
    if (name === 'Array' && type.typeArguments?.[0] !== undefined) return { type: 'array', items: typeSchema(type.typeArguments[0], imports) };
    const target = imports.get(name);
    if (target === undefined) throw new Error(`unresolved type ${name}`);
    want(target);
    return { $ref: `#/definitions/${target}` };
  }
  throw new Error(`unsupported type ${ts.SyntaxKind[type.kind]}: ${type.getText()}`);
}

function generate(name: string): Schema {
  if (SCALARS[name] !== undefined || OPEN_OBJECTS.has(name)) {
    const schema: Schema = SCALARS[name] ?? { type: 'object' };
    const source = ts.createSourceFile(fileOf(name), readFileSync(fileOf(name), 'utf8'), ts.ScriptTarget.Latest, true);
    const decl = source.statements.find((s) => ts.isTypeAliasDeclaration(s) || ts.isInterfaceDeclaration(s));
    const description = decl === undefined ? undefined : docOf(decl);
    return { ...(description === undefined ? {} : { description }), ...schema };
  }
  const file = fileOf(name);
  if (definitionOf(file) !== name) throw new Error(`${name} maps to ${file}, which maps back to ${definitionOf(file)}`);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const imports = new Map<string, string>();
  for (const s of source.statements) {
    if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || s.moduleSpecifier.text.startsWith('@kubernetes-models/base')) continue;
    const target = definitionOf(resolveImport(file, s.moduleSpecifier.text));
    const bindings = s.importClause?.namedBindings;
    if (bindings !== undefined && ts.isNamedImports(bindings)) for (const el of bindings.elements) imports.set(el.name.text, target);
  }
  const iface = source.statements.find(ts.isInterfaceDeclaration);
  if (iface === undefined) throw new Error(`no interface in ${file}`);
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  let gvk: { group: string; version: string; kind: string } | undefined;
  const literal = (m: ts.PropertySignature): string | undefined =>
    m.type !== undefined && ts.isLiteralTypeNode(m.type) && ts.isStringLiteral(m.type.literal) ? m.type.literal.text : undefined;
  const members = iface.members.filter(ts.isPropertySignature);
  const apiVersion = members.find((m) => m.name.getText().replace(/"/g, '') === 'apiVersion');
  const kindMember = members.find((m) => m.name.getText().replace(/"/g, '') === 'kind');
  if (apiVersion !== undefined && kindMember !== undefined && literal(apiVersion) !== undefined && literal(kindMember) !== undefined) {
    const av = literal(apiVersion) as string;
    const slash = av.indexOf('/');
    gvk = { group: slash < 0 ? '' : av.slice(0, slash), version: slash < 0 ? av : av.slice(slash + 1), kind: literal(kindMember) as string };
  }
  const ext = extensions[name] ?? {};
  for (const m of members) {
    const prop = m.name.getText().replace(/^"|"$/g, '');
    if (m.type === undefined) continue;
    const description = docOf(m);
    let schema = typeSchema(m.type, imports);
    if (gvk !== undefined && (prop === 'apiVersion' || prop === 'kind')) schema = { type: 'string' };
    else if (m.questionToken === undefined) required.push(prop);
    properties[prop] = { ...(description === undefined ? {} : { description }), ...schema, ...(ext[prop] ?? {}) };
  }
  for (const key of Object.keys(ext)) if (key !== '.' && !(key in properties)) throw new Error(`extension for ${name}.${key}: no such property`);
  const description = docOf(iface);
  return {
    ...(description === undefined ? {} : { description }),
    ...(Object.keys(properties).length === 0 ? {} : { properties }),
    ...(required.length === 0 ? {} : { required: required.sort() }),
    type: 'object',
    ...(ext['.'] ?? {}),
    ...(gvk === undefined ? {} : { 'x-kubernetes-group-version-kind': [gvk] }),
  };
}

for (const k of KINDS) { want(k.definition); if (k.createOnly !== true) want(`${k.definition}List`); }
for (const d of EXTRA_DEFINITIONS) want(d);
for (let name = queue.shift(); name !== undefined; name = queue.shift()) definitions[name] = generate(name);
for (const name of Object.keys(extensions)) if (!(name in definitions)) throw new Error(`extensions for ${name}, which is not generated`);

// kubernetes-models types a kind's apiVersion and kind as literals without their descriptions;
// apimachinery's Status declares the same two fields with them (from the same package).
const typeMeta = (definitions['io.k8s.apimachinery.pkg.apis.meta.v1.Status'] as { properties: Record<string, Schema> }).properties;
for (const def of Object.values(definitions)) {
  const props = def.properties as Record<string, Schema> | undefined;
  if (def['x-kubernetes-group-version-kind'] === undefined || props === undefined) continue;
  for (const field of ['apiVersion', 'kind']) {
    const prop = props[field];
    const description = typeMeta[field]?.description;
    if (prop !== undefined && prop.description === undefined && description !== undefined) props[field] = { description, ...prop };
  }
}

const sorted = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
const text = `${JSON.stringify({ source: `kubernetes-models@${modelsVersion}`, kubernetes: KUBERNETES_VERSION, definitions: sorted }, null, 1)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(out, 'utf8'); } catch { /* absent: differs */ }
  if (current !== text) { console.error(`${out} is stale: run node scripts/gen-kube-schemas.ts`); process.exit(1); }
  console.log(`${out} is current (${Object.keys(sorted).length} definitions)`);
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out}: ${Object.keys(sorted).length} definitions from kubernetes-models@${modelsVersion}`);
}
