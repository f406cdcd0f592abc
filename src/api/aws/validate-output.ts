import type { Shape } from './model.ts';
import { describe, isObject } from './validate.ts';

/** The part of a service model an answer is checked against: its shapes, output ones included. */
export interface ShapeModel {
  readonly shapes: Readonly<Record<string, Shape>>;
}

/** Findings kept per answer: past this many, one more says how many were left out. */
const MAX_FINDINGS = 100;

/**
 * Checks an answer Berth is about to send (or sent) against its output shape, the way a
 * strict AWS SDK would read it, and returns every difference as `path: problem`:
 * - a member the shape does not have (AWS never sends one; an SDK drops it or fails);
 * - a value of the wrong JSON type: timestamps must be epoch seconds (numbers, JSON 1.1),
 *   integers whole numbers, strings of an enum one of its values;
 * - a required member missing, or a `null` (AWS omits members, it never sends null).
 * Length and range bounds are not checked: they constrain requests, and AWS answers
 * with values outside them (empty strings, zero counts). An empty list means none.
 */
export function validateOutput(model: ShapeModel, shapeName: string, value: unknown): string[] {
  const findings: string[] = [];
  const report = (path: string, problem: string) => {
    if (findings.length < MAX_FINDINGS) findings.push(`${path || '(answer)'}: ${problem}`);
    else if (findings.length === MAX_FINDINGS) findings.push('…: more findings left out');
  };
  walk(model, shapeName, value, '', report);
  return findings;
}

function walk(model: ShapeModel, shapeName: string, value: unknown, path: string, report: (path: string, problem: string) => void): void {
  const shape = model.shapes[shapeName];
  if (!shape) {
    report(path, `the model has no shape ${shapeName}`);
    return;
  }
  if (value === null) {
    report(path, 'is null (AWS leaves a member out instead)');
    return;
  }
  switch (shape.type) {
    case 'structure': {
      if (!isObject(value)) return report(path, `${shapeName} must be an object, not ${describe(value)}`);
      for (const [name, v] of Object.entries(value)) {
        const member = shape.members[name];
        const at = path ? `${path}.${name}` : name;
        if (member === undefined) report(at, `is not a member of ${shapeName}`);
        else walk(model, member, v, at, report);
      }
      for (const name of shape.required ?? []) {
        if (value[name] === undefined) report(path ? `${path}.${name}` : name, `is required in ${shapeName} but missing`);
      }
      return;
    }
    case 'list':
      if (!Array.isArray(value)) return report(path, `${shapeName} must be a list, not ${describe(value)}`);
      value.forEach((v, i) => walk(model, shape.member, v, `${path}[${i}]`, report));
      return;
    case 'map':
      if (!isObject(value)) return report(path, `${shapeName} must be a map, not ${describe(value)}`);
      for (const [k, v] of Object.entries(value)) walk(model, shape.value, v, `${path}.${k}`, report);
      return;
    case 'string':
      if (typeof value !== 'string') return report(path, `must be a string, not ${describe(value)}`);
      if (shape.enum && !shape.enum.includes(value)) report(path, `'${value}' is not one of ${shapeName}: ${shape.enum.join(', ')}`);
      return;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) report(path, `must be a whole number, not ${describe(value)}`);
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) report(path, `must be a number, not ${describe(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') report(path, `must be true or false, not ${describe(value)}`);
      return;
    case 'timestamp':
      if (typeof value !== 'number' || !Number.isFinite(value)) report(path, `must be epoch seconds (a number), not ${describe(value)}`);
      else if (value > 1e11) report(path, `${value} looks like epoch milliseconds; AWS JSON answers give seconds`);
      return;
    case 'blob':
      if (typeof value !== 'string') report(path, `must be a base64 string, not ${describe(value)}`);
      return;
  }
}
