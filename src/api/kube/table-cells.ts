/**
 * What every kind's Table columns are made of (table-columns.ts gathers them per kind): the
 * column shape, the cells shared by most kinds (NAME, AGE, a count of data keys), and the
 * small readers the cells use on an object they must not trust the shape of.
 */
import { humanDuration } from '../../core/kube/duration.ts';

export type KubeObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  readonly format: string;
  readonly description: string;
  readonly priority: number;
  readonly cell: (object: KubeObject, now: number) => unknown;
}

export const meta = (o: KubeObject): Record<string, unknown> => (o.metadata ?? {});
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});

export function since(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

export const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name of the object, unique within its namespace.', priority: 0, cell: (o) => meta(o).name };
export const AGE: Column = { name: 'Age', type: 'string', format: '', description: 'Time since the object was created (metadata.creationTimestamp).', priority: 0, cell: (o, now) => since(meta(o).creationTimestamp, now) };
export const count = (field: string, description: string): Column => ({
  name: 'Data', type: 'integer', format: '', description, priority: 0,
  cell: (o) => Object.keys(obj(o[field])).length + (field === 'data' && o.binaryData ? Object.keys(obj(o.binaryData)).length : 0),
});
export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const col = (name: string, type: Column['type'], description: string, cell: Column['cell'], priority = 0): Column => ({ name, type, format: '', description, priority, cell });
