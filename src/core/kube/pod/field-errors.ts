/**
 * Field errors worded as apimachinery's field.Error bodies (`Required value`, `Invalid value:
 * "x": …`, `Unsupported value: "x": supported values: "a", "b"`, …), the causes of a 422
 * Invalid Status. Pure.
 */
import type { FieldError } from '../names.ts';

/** A value as the server quotes it: strings in double quotes, numbers and booleans bare. */
const shown = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(JSON.stringify(v) ?? ''));

export const required = (field: string, detail?: string): FieldError =>
  ({ reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' });
export const invalidValue = (field: string, value: unknown, detail: string): FieldError =>
  ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${shown(value)}: ${detail}` });
export const notSupported = (field: string, value: unknown, supported: readonly string[]): FieldError =>
  ({ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${shown(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` });
export const duplicate = (field: string, value: unknown): FieldError =>
  ({ reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${shown(value)}` });
export const notFound = (field: string, value: unknown): FieldError =>
  ({ reason: 'FieldValueNotFound', field, message: `Not found: ${shown(value)}` });
export const forbidden = (field: string, detail: string): FieldError =>
  ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
