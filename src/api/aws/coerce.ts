import type { ServiceModel } from './model.ts';

/**
 * Loosens a hand-written request into the types the API takes, the way people write task
 * definitions: "100" for an integer becomes 100, 256 for a string becomes "256", "true"
 * for a boolean becomes true. Every change is reported so the user can fix the file.
 * Anything else is left as it is, for validation to refuse with the exact error.
 */
export function coerceToModel(model: ServiceModel, shapeName: string, value: unknown): { value: unknown; notes: string[] } {
  const notes: string[] = [];
  const walk = (shapeName: string, v: unknown, path: string): unknown => {
    const shape = model.shapes[shapeName];
    if (!shape || v === null || v === undefined) return v;
    switch (shape.type) {
      case 'structure': {
        if (typeof v !== 'object' || Array.isArray(v)) return v;
        const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
        for (const [name, member] of Object.entries(shape.members)) {
          if (name in out) out[name] = walk(member, out[name], path ? `${path}.${name}` : name);
        }
        return out;
      }
      case 'list':
        return Array.isArray(v) ? v.map((x, i) => walk(shape.member, x, `${path}[${i}]`)) : v;
      case 'map':
        if (typeof v !== 'object' || Array.isArray(v)) return v;
        return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(shape.value, x, `${path}.${k}`)]));
      case 'integer':
      case 'long':
        if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) {
          notes.push(`${path}: read the string "${v}" as the integer ${Number(v)} (the API takes an integer here)`);
          return Number(v);
        }
        return v;
      case 'string':
        if (typeof v === 'number') {
          notes.push(`${path}: read the number ${v} as the string "${v}" (the API takes a string here)`);
          return String(v);
        }
        return v;
      case 'boolean':
        if (v === 'true' || v === 'false') {
          notes.push(`${path}: read the string "${v}" as the boolean ${v}`);
          return v === 'true';
        }
        return v;
      default:
        return v;
    }
  };
  return { value: walk(shapeName, value, ''), notes };
}
