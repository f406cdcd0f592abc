/** kubectl's node columns (NAME STATUS ROLES AGE VERSION; wide: addresses, OS, kernel, runtime). */
import { AGE, NAME, meta, obj, str, type Column, type KubeObject } from './table-cells.ts';

/** A node's STATUS as kubectl prints it: Ready / NotReady (Unknown without a Ready condition), then SchedulingDisabled when cordoned. */
function nodeStatus(o: KubeObject): string {
  const conditions = obj(o.status).conditions;
  const ready = (Array.isArray(conditions) ? conditions : []).map(obj).find((c) => c.type === 'Ready');
  const status = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (obj(o.spec).unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` labels and the older `kubernetes.io/role`, sorted; `<none>` without. */
function nodeRoles(o: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(obj(meta(o).labels))) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && str(v) !== '') roles.add(str(v));
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeAddress(o: KubeObject, type: string): string {
  const addresses = obj(o.status).addresses;
  const a = (Array.isArray(addresses) ? addresses : []).map(obj).find((x) => x.type === type);
  return a ? str(a.address) : '<none>';
}

const nodeInfo = (field: string) => (o: KubeObject): string => str(obj(obj(o.status).nodeInfo)[field]) || '<unknown>';

export const NODE_COLUMNS: readonly Column[] = [
  NAME,
  { name: 'Status', type: 'string', format: '', description: 'The status of the node', priority: 0, cell: nodeStatus },
  { name: 'Roles', type: 'string', format: '', description: 'The roles of the node', priority: 0, cell: nodeRoles },
  AGE,
  { name: 'Version', type: 'string', format: '', description: 'Kubelet Version reported by the node.', priority: 0, cell: (o) => str(obj(obj(o.status).nodeInfo).kubeletVersion) },
  { name: 'Internal-IP', type: 'string', format: '', description: 'List of addresses reachable to the node. Queried from cloud provider, if available.', priority: 1, cell: (o) => nodeAddress(o, 'InternalIP') },
  { name: 'External-IP', type: 'string', format: '', description: 'List of addresses reachable to the node. Queried from cloud provider, if available.', priority: 1, cell: (o) => nodeAddress(o, 'ExternalIP') },
  { name: 'OS-Image', type: 'string', format: '', description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', priority: 1, cell: nodeInfo('osImage') },
  { name: 'Kernel-Version', type: 'string', format: '', description: 'Kernel Version reported by the node (uname -r, e.g. 3.16.0-0.bpo.4-amd64).', priority: 1, cell: nodeInfo('kernelVersion') },
  { name: 'Container-Runtime', type: 'string', format: '', description: 'Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).', priority: 1, cell: nodeInfo('containerRuntimeVersion') },
];
