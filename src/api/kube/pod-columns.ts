/** kubectl's pod columns, computed by the pod printer (core/kube/pod/printer.ts). */
import { podRow, type PodRow } from '../../core/kube/pod/printer.ts';
import type { Pod } from '../../core/kube/pod/types.ts';
import { AGE, NAME, type Column, type KubeObject } from './table-cells.ts';

/** Each pod's row, computed once for all its cells (a LIST of many pods asks each column in turn). */
const podRows = new WeakMap<KubeObject, { now: number; row: PodRow }>();
function podCell(key: keyof PodRow): (o: KubeObject, now: number) => string {
  return (o, now) => {
    let hit = podRows.get(o);
    if (hit?.now !== now) {
      hit = { now, row: podRow(o as unknown as Pod, now) };
      podRows.set(o, hit);
    }
    return hit.row[key];
  };
}

/** kubectl's pod columns (printers.go podColumnDefinitions); the last four only with `-o wide`. */
export const POD_COLUMNS: readonly Column[] = [
  NAME,
  { name: 'Ready', type: 'string', format: '', description: 'The aggregate readiness state of this pod for accepting traffic.', priority: 0, cell: podCell('ready') },
  { name: 'Status', type: 'string', format: '', description: 'The aggregate status of the containers in this pod.', priority: 0, cell: podCell('status') },
  { name: 'Restarts', type: 'string', format: '', description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.', priority: 0, cell: podCell('restarts') },
  AGE,
  { name: 'IP', type: 'string', format: '', description: 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', priority: 1, cell: podCell('ip') },
  { name: 'Node', type: 'string', format: '', description: 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.', priority: 1, cell: podCell('node') },
  { name: 'Nominated Node', type: 'string', format: '', description: 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', priority: 1, cell: podCell('nominatedNode') },
  { name: 'Readiness Gates', type: 'string', format: '', description: 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True"', priority: 1, cell: podCell('readinessGates') },
];
