/** A Kubernetes object as the API server's handlers and storage see it: its metadata typed, the rest free. */
import type { KubeObject } from './table-cells.ts';

export type Meta = Record<string, unknown> & {
  name?: string; namespace?: string; generateName?: string; uid?: string; resourceVersion?: string; generation?: number;
  creationTimestamp?: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[];
  ownerReferences?: OwnerReference[]; managedFields?: unknown[];
};

export interface OwnerReference {
  apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean;
}

export type Obj = KubeObject & { metadata: Meta; apiVersion?: string; kind?: string };
