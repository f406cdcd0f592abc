/** kubectl's columns for Services, Endpoints and EndpointSlices. */
import { AGE, arr, col, NAME, num, obj, str, type Column, type KubeObject } from './table-cells.ts';

/** At most three items then `+ N more...`, as kubectl's endpoint printers shorten lists. */
function firstThree(items: readonly string[], empty: string): string {
  if (items.length === 0) return empty;
  return items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(',');
}

function servicePorts(o: KubeObject): string {
  const ports = arr(obj(o.spec).ports).map(obj);
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${num(p.port)}${num(p.nodePort) > 0 ? `:${num(p.nodePort)}` : ''}/${str(p.protocol) || 'TCP'}`).join(',');
}

function externalIP(o: KubeObject): string {
  const spec = obj(o.spec);
  const type = str(spec.type);
  const external = arr(spec.externalIPs).map(str);
  if (type === 'ExternalName') return str(spec.externalName);
  if (type === 'LoadBalancer') {
    const ingress = arr(obj(obj(o.status).loadBalancer).ingress).map(obj).map((i) => str(i.ip) || str(i.hostname));
    const all = [...ingress, ...external];
    return all.length > 0 ? all.join(',') : '<pending>';
  }
  return external.length > 0 ? external.join(',') : '<none>';
}

function endpointsCell(o: KubeObject): string {
  const out: string[] = [];
  for (const subset of arr(o.subsets).map(obj)) {
    const ports = arr(subset.ports).map(obj);
    for (const a of arr(subset.addresses).map(obj)) {
      if (ports.length === 0) out.push(str(a.ip));
      for (const p of ports) out.push(`${str(a.ip)}:${num(p.port)}`);
    }
  }
  return firstThree(out, '<none>');
}

export const SERVICE_COLUMNS: readonly Column[] = [
  NAME,
  col('Type', 'string', 'The type of the service (ClusterIP, NodePort, LoadBalancer, ExternalName).', (o) => str(obj(o.spec).type)),
  col('Cluster-IP', 'string', 'The virtual IP of the service.', (o) => str(obj(o.spec).clusterIP) || '<none>'),
  col('External-IP', 'string', 'The addresses the service is reached at from outside the cluster.', externalIP),
  col('Port(s)', 'string', 'The ports the service exposes (with their node ports).', servicePorts),
  AGE,
  col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', (o) => {
    const sel = obj(obj(o.spec).selector);
    return Object.keys(sel).length === 0 ? '<none>' : Object.entries(sel).map(([k, v]) => `${k}=${str(v)}`).join(',');
  }, 1),
];


export const ENDPOINTS_COLUMNS: readonly Column[] = [NAME, col('Endpoints', 'string', 'Endpoints of the service (ready addresses and their ports).', endpointsCell), AGE];

export const ENDPOINT_SLICE_COLUMNS: readonly Column[] = [
    NAME,
    col('AddressType', 'string', 'The type of address carried by this EndpointSlice.', (o) => str(o.addressType)),
    col('Ports', 'string', 'The ports exposed by this EndpointSlice.', (o) => firstThree(arr(o.ports).map(obj).map((p) => String(num(p.port))), '<unset>')),
    col('Endpoints', 'string', 'The addresses of the endpoints of this EndpointSlice.', (o) => firstThree(arr(o.endpoints).map(obj).flatMap((e) => arr(e.addresses).map(str)), '<unset>')),
    AGE,
];
