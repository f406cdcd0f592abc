/**
 * The core/v1 shapes the pod code reads and writes, from kubernetes-models' declarations
 * (types only: nothing of the package is loaded at run time).
 */
export type {
  IContainer as Container, IContainerPort as ContainerPort, IEnvVar as EnvVar, IPod as Pod, IPodSpec as PodSpec,
  IPodStatus as PodStatusObject, IProbe as Probe, IVolume as Volume, IToleration as Toleration,
  IContainerStatus as PodContainerStatus, IContainerState as ContainerState, IPodCondition as PodCondition,
  IKeyToPath as KeyToPath, IPodSecurityContext as PodSecurityContext, IVolumeProjection as VolumeProjection, ISecurityContext as ContainerSecurityContext,
  IDownwardAPIVolumeFile as DownwardAPIVolumeFile,
} from 'kubernetes-models/v1';
export type { IObjectMeta as ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1';

/** A ConfigMap or Secret as the lookups give it (Secret data is base64, ConfigMap data is text). */
export interface DataObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}
