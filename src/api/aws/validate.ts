import { ApiError } from '../../core/errors.ts';
import type { ServiceModel, Shape } from './model.ts';

/**
 * Checks a decoded JSON request against the operation's input shape, as an AWS JSON
 * service does before any handler runs:
 * - a value of the wrong JSON type is a `SerializationException` (the request could not
 *   be read as the operation's input);
 * - a missing required member, or a string outside its enum, is an
 *   `InvalidParameterException` naming the member;
 * - `null` members are treated as absent and removed; unknown members are ignored, as
 *   AWS does, and removed so that nothing unmodelled is ever stored.
 * Returns the cleaned input. Throws on the first problem found.
 */
export function validateInput(model: ServiceModel, shapeName: string, input: unknown): Record<string, unknown> {
  return walk(model, shapeName, input, '') as Record<string, unknown>;
}

function walk(model: ServiceModel, shapeName: string, value: unknown, path: string): unknown {
  const shape = model.shapes[shapeName];
  if (!shape) throw new Error(`model has no shape ${shapeName}`);
  const where = path || 'the request body';
  switch (shape.type) {
    case 'structure': {
      if (!isObject(value)) throw typeError(where, 'an object', value);
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members)) {
        const v = value[name];
        if (v === undefined || v === null) continue;
        out[name] = walk(model, member, v, path ? `${path}.${name}` : name);
      }
      for (const name of shape.required ?? []) {
        if (out[name] === undefined) {
          throw new ApiError('InvalidParameterException', `${path ? `${path}.${name}` : name} is required.`);
        }
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) throw typeError(where, 'a list', value);
      return value.map((v, i) => (v === null ? v : walk(model, shape.member, v, `${path}[${i}]`)));
    }
    case 'map': {
      if (!isObject(value)) throw typeError(where, 'a map', value);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === null) continue;
        out[k] = walk(model, shape.value, v, `${path}.${k}`);
      }
      return out;
    }
    case 'string':
      if (typeof value !== 'string') throw typeError(where, 'a string', value);
      if (shape.enum && !shape.enum.includes(value)) {
        throw new ApiError('InvalidParameterException', `${where} '${value}' is not valid. Use one of: ${shape.enum.join(', ')}.`);
      }
      return value;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(where, 'an integer', value);
      return value;
    case 'double':
    case 'float':
      if (typeof value !== 'number') throw typeError(where, 'a number', value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(where, 'true or false', value);
      return value;
    case 'timestamp':
      if (typeof value !== 'number' && typeof value !== 'string') throw typeError(where, 'a timestamp (epoch seconds)', value);
      return value;
    case 'blob':
      if (typeof value !== 'string') throw typeError(where, 'a base64 string', value);
      return value;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as an error message names it: its kind, and a short quote of a string. */
export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function typeError(where: string, expected: string, got: unknown): ApiError {
  return new ApiError('SerializationException', `${where} must be ${expected}, not ${describe(got)}.`);
}

export type { Shape };
