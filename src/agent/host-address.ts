/**
 * The host's own address, as its node shows it (status.addresses InternalIP, a pod's
 * status.hostIP): the address this host dials the control plane from, which is how the
 * control plane and the other hosts reach it. An agent beside its control plane dials
 * loopback, which no pod can reach: then the host's first non-loopback IPv4 address that is
 * not one of Berth's own bridges (the kubelet, likewise, takes the address of the host's
 * default interface). Pure: the interfaces are an input.
 */
import { isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** Interfaces Berth makes itself: their addresses are gateways of its own subnets, not the host's. */
const BERTH_INTERFACE = /^berth/;

export function hostAddress(local: string | undefined, interfaces: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>): string | undefined {
  const dialled = local?.replace(/^::ffff:/, '');
  if (dialled !== undefined && isIP(dialled) !== 0 && !isLoopback(dialled)) return dialled;
  for (const [name, list] of Object.entries(interfaces)) {
    if (BERTH_INTERFACE.test(name)) continue;
    const v4 = (list ?? []).find((i) => i.family === 'IPv4' && !i.internal);
    if (v4) return v4.address;
  }
  return undefined;
}

const isLoopback = (a: string): boolean => a.startsWith('127.') || a === '::1';
