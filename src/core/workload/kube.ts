/**
 * The Kubernetes part of a task's spec: what only the Pod view needs, kept in one place so
 * the rest of the spec stays neutral (as `ecs` is for the ECS views). The agent never reads
 * it. It holds the pod's metadata and its spec as the API server stored it (defaulted and
 * admitted), so `kubectl get pod -o yaml` shows exactly what a real API server would; the
 * neutral spec beside it is what Berth runs. Made by podToTaskSpec (core/kube/pod/to-spec.ts).
 */
import type { IObjectMeta, IOwnerReference } from '@kubernetes-models/apimachinery/apis/meta/v1';
import type { IPodSpec } from 'kubernetes-models/v1';

/** A field of the pod the control plane could not resolve yet (a missing ConfigMap key, a placement-only field). */
export interface UnresolvedRef {
  /** The container whose start waits for it. */
  container: string;
  /** The kubelet's waiting reason: CreateContainerConfigError (env) or ContainerCreating (a volume). */
  reason: 'CreateContainerConfigError' | 'ContainerCreating';
  /** As the kubelet words it: `configmap "x" not found`, `couldn't find key k in ConfigMap ns/x`. */
  message: string;
}

export interface KubePodFacts {
  /** The EKS cluster's uid: which cluster's API server the pod belongs to. */
  clusterUid: string;
  namespace: string;
  name: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: IOwnerReference[];
  finalizers?: string[];
  managedFields?: IObjectMeta['managedFields'];
  /** RFC 3339, seconds (metadata.creationTimestamp). */
  creationTimestamp: string;
  /** Set by a delete with a grace period; the pod is Terminating until its containers stop. */
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  /** The pod's spec as defaulted and admitted; `nodeName` comes from the placement in the view. */
  podSpec: IPodSpec;
  /** What kept a container from starting when the spec was made; empty or absent when nothing did. */
  unresolved?: UnresolvedRef[];
  /**
   * What users wrote on the pod's Fargate node beyond what EKS sets (core/kube/fargate-node.ts):
   * on EKS a Fargate node is a real Node, and a label put on it stays for the node's life, the
   * pod's. Absent when nothing was written.
   */
  fargateNode?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}
