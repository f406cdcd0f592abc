/**
 * The Events the scheduler and the kubelet record about a pod, read from two successive
 * states of its Pod view (whichever backend keeps pods): `podEvents(before, after)`, pure.
 * Reasons and messages are theirs (kube-scheduler's schedule_one.go, the kubelet's
 * kuberuntime_container.go and images/image_manager.go, pkg/kubelet/events):
 *
 * - `Scheduled` (default-scheduler): "Successfully assigned ns/pod to node", once spec.nodeName is set;
 * - `FailedScheduling` (Warning): the PodScheduled=False Unschedulable condition's message, each time it changes;
 * - per container, on each (re)start: `Pulled` ("Container image … already present on machine") on a
 *   restart, `Pulling` + `Pulled` on a first start when the pull policy is Always, then `Created`, `Started`;
 * - `Failed` + `BackOff` on image pull errors (ErrImagePull, ImagePullBackOff);
 * - `BackOff` (Warning) "Back-off restarting failed container c in pod name_ns(uid)" as it enters CrashLoopBackOff;
 * - `Unhealthy` (Warning) "Readiness probe failed: " when a running container stops being ready;
 * - `Killing` "Stopping container c" for each running container once the pod is being deleted.
 *
 * The view does not carry probe output or pull timings: those parts of the kubelet's messages
 * are left empty, and a first start under IfNotPresent reads as a cached image.
 */
import type { Pod } from './workload-objects.ts';
import type { ActionEvent } from './workload-actions.ts';

/** A pod Event before correlation: who reports it (kubelet events carry their node as the source host). */
export interface PodEvent extends ActionEvent {
  /** `spec.containers{name}` for a container's events (kubectl describe shows it as the sub-object). */
  readonly fieldPath?: string;
  /** The reporting node (kubelet events). */
  readonly host?: string;
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; startedAt?: string };
}
interface ContainerStatus {
  name: string;
  state?: ContainerState;
  ready?: boolean;
  restartCount?: number;
  image?: string;
}
interface ContainerSpec {
  name: string;
  image?: string;
  imagePullPolicy?: string;
}

const statuses = (p: Pod | undefined, field: 'containerStatuses' | 'initContainerStatuses'): ContainerStatus[] =>
  ((p?.status?.[field] as ContainerStatus[] | undefined) ?? []);
const specs = (p: Pod, field: 'containers' | 'initContainers'): ContainerSpec[] => ((p.spec?.[field] as ContainerSpec[] | undefined) ?? []);

/** Ran (or runs) in this state: running or terminated, as opposed to waiting or not reported. */
const ran = (s: ContainerStatus | undefined): boolean => s?.state?.running !== undefined || s?.state?.terminated !== undefined;

/** `name_namespace(uid)`: how the kubelet's format.Pod names a pod in its messages. */
const podName = (p: Pod): string => `${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})`;

function unschedulable(p: Pod | undefined): string | undefined {
  const c = p?.status?.conditions?.find((x) => x.type === 'PodScheduled');
  return c?.status === 'False' && c.reason === 'Unschedulable' ? (c.message ?? '') : undefined;
}

export function podEvents(before: Pod | undefined, after: Pod | undefined): PodEvent[] {
  if (!after) return [];
  const m = after.metadata;
  const about = { apiVersion: 'v1', kind: 'Pod', name: m.name!, namespace: m.namespace!, uid: m.uid! };
  const out: PodEvent[] = [];
  const node = after.spec?.nodeName;
  const scheduler = (type: PodEvent['type'], reason: string, message: string) => out.push({ about, type, reason, message, component: 'default-scheduler' });
  const kubelet = (c: string, init: boolean, type: PodEvent['type'], reason: string, message: string) =>
    out.push({ about, type, reason, message, component: 'kubelet', fieldPath: `spec.${init ? 'initContainers' : 'containers'}{${c}}`, ...(node && { host: node }) });

  const waitingBefore = unschedulable(before);
  const waitingNow = unschedulable(after);
  if (waitingNow !== undefined && waitingNow !== waitingBefore) scheduler('Warning', 'FailedScheduling', waitingNow);
  if (node && !before?.spec?.nodeName) scheduler('Normal', 'Scheduled', `Successfully assigned ${m.namespace}/${m.name} to ${node}`);

  const deleting = m.deletionTimestamp !== undefined;
  for (const [field, specField, init] of [['initContainerStatuses', 'initContainers', true], ['containerStatuses', 'containers', false]] as const) {
    const was = new Map(statuses(before, field).map((s) => [s.name, s]));
    const spec = new Map(specs(after, specField).map((c) => [c.name, c]));
    for (const s of statuses(after, field)) {
      const prev = was.get(s.name);
      const c = spec.get(s.name);
      const image = c?.image ?? s.image ?? '';
      const restarts = s.restartCount ?? 0;
      const restarted = restarts > (prev?.restartCount ?? 0);
      const reason = s.state?.waiting?.reason;
      const reasonBefore = prev?.state?.waiting?.reason;
      // A new run: it runs (or has run) now and did not before, or its restart count rose.
      if (ran(s) && (!ran(prev) || restarted)) {
        if (restarted || c?.imagePullPolicy !== 'Always') kubelet(s.name, init, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        else {
          kubelet(s.name, init, 'Normal', 'Pulling', `Pulling image "${image}"`);
          kubelet(s.name, init, 'Normal', 'Pulled', `Successfully pulled image "${image}"`);
        }
        kubelet(s.name, init, 'Normal', 'Created', `Created container: ${s.name}`);
        kubelet(s.name, init, 'Normal', 'Started', `Started container ${s.name}`);
      }
      if (reason !== reasonBefore || (restarted && reason !== undefined)) {
        if (reason === 'ErrImagePull') {
          kubelet(s.name, init, 'Normal', 'Pulling', `Pulling image "${image}"`);
          kubelet(s.name, init, 'Warning', 'Failed', `Failed to pull image "${image}": ${s.state?.waiting?.message ?? ''}`);
          kubelet(s.name, init, 'Warning', 'Failed', 'Error: ErrImagePull');
        } else if (reason === 'ImagePullBackOff') {
          kubelet(s.name, init, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
          kubelet(s.name, init, 'Warning', 'Failed', 'Error: ImagePullBackOff');
        } else if (reason === 'CrashLoopBackOff') {
          kubelet(s.name, init, 'Warning', 'BackOff', `Back-off restarting failed container ${s.name} in pod ${podName(after)}`);
        }
      }
      // Readiness lost while the same run goes on: its readiness probe failed.
      if (!init && prev?.ready === true && s.ready === false && s.state?.running !== undefined && !restarted && !deleting) {
        kubelet(s.name, init, 'Warning', 'Unhealthy', 'Readiness probe failed: ');
      }
      if (deleting && before?.metadata.deletionTimestamp === undefined && s.state?.running !== undefined) {
        kubelet(s.name, init, 'Normal', 'Killing', `Stopping container ${s.name}`);
      }
    }
  }
  return out;
}

/**
 * What podEvents reads of a pod, and nothing else: the loop keeps this much of each pod's last
 * state (metadata, node, containers' images and pull policies, the PodScheduled condition, the
 * container statuses) to compare the next one with.
 */
export function slimPod(p: Pod): Pod {
  const m = p.metadata;
  const containers = (field: 'containers' | 'initContainers') => specs(p, field).map((c) => ({ name: c.name, image: c.image, imagePullPolicy: c.imagePullPolicy }));
  const scheduled = p.status?.conditions?.filter((c) => c.type === 'PodScheduled');
  return {
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, ...(m.deletionTimestamp !== undefined && { deletionTimestamp: m.deletionTimestamp }) },
    spec: { ...(p.spec?.nodeName !== undefined && { nodeName: p.spec.nodeName }), containers: containers('containers'), initContainers: containers('initContainers') },
    status: {
      ...(scheduled && scheduled.length > 0 && { conditions: scheduled }),
      containerStatuses: statuses(p, 'containerStatuses'), initContainerStatuses: statuses(p, 'initContainerStatuses'),
    },
  };
}
