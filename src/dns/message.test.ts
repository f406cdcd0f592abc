import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as packet from 'dns-packet';
import { CLASSIC_UDP_LIMIT, EDNS_UDP_LIMIT, handleQuery } from './message.ts';
import { zoneIndex } from './zone-index.ts';

const zone = zoneIndex('cluster.local', [{
  namespace: 'default', name: 'big', clusterIPs: [], ports: [],
  endpoints: Array.from({ length: 100 }, (_, i) => ({ ip: `172.30.7.${i + 1}`, ready: true })),
}, { namespace: 'default', name: 'web', clusterIPs: ['10.100.0.9'], ports: [], endpoints: [] }], []);

const query = (name: string, extra: Partial<packet.Packet> = {}) => packet.encode({
  type: 'query', id: 4242, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }], ...extra,
});
const decoded = (h: ReturnType<typeof handleQuery>) => {
  assert.equal(h.kind, 'reply');
  return packet.decode(h.kind === 'reply' ? h.bytes : Buffer.alloc(0)) as unknown as packet.Packet & { rcode: string; flag_tc: boolean; flag_aa: boolean; flag_rd: boolean };
};

test('an answer echoes the id, the question and RD, and is authoritative', () => {
  const r = decoded(handleQuery(zone, 1, query('web.default.svc.cluster.local'), 'udp'));
  assert.equal(r.id, 4242);
  assert.equal(r.rcode, 'NOERROR');
  assert.ok(r.flag_aa && r.flag_rd);
  assert.deepEqual(r.questions?.map((q) => q.name), ['web.default.svc.cluster.local']);
  assert.deepEqual(r.answers?.map((a) => a.type === 'A' && a.data), ['10.100.0.9']);
});

test('NXDOMAIN carries the SOA in the authority section', () => {
  const r = decoded(handleQuery(zone, 9, query('nope.default.svc.cluster.local'), 'udp'));
  assert.equal(r.rcode, 'NXDOMAIN');
  assert.deepEqual(r.authorities?.map((a) => [a.type, a.name]), [['SOA', 'cluster.local']]);
});

test('over UDP an answer is cut to 512 bytes without EDNS, to the offered size with it, never over TCP', () => {
  const plain = handleQuery(zone, 1, query('big.default.svc.cluster.local'), 'udp');
  assert.ok(plain.kind === 'reply' && plain.bytes.length <= CLASSIC_UDP_LIMIT);
  assert.equal(decoded(plain).flag_tc, true);
  const edns = query('big.default.svc.cluster.local', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] });
  const e = handleQuery(zone, 1, edns, 'udp');
  // 100 A records need ~1.6 KB: past our 1232-byte EDNS ceiling too.
  assert.ok(e.kind === 'reply' && e.bytes.length <= EDNS_UDP_LIMIT);
  assert.equal(decoded(e).flag_tc, true);
  const whole = decoded(handleQuery(zone, 1, query('big.default.svc.cluster.local'), 'tcp'));
  assert.equal(whole.answers?.length, 100);
});

test('garbage with a header gets FORMERR, shorter garbage nothing, another opcode NOTIMP', () => {
  const garbage = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01]), Buffer.alloc(6), Buffer.from([0xff, 0xff])]);
  const f = handleQuery(zone, 1, garbage, 'udp');
  assert.ok(f.kind === 'reply');
  assert.equal(f.bytes.readUInt16BE(0), 0x1234);
  assert.equal(f.bytes[3]! & 0x0f, 1);
  assert.equal(handleQuery(zone, 1, Buffer.from([1, 2, 3]), 'udp').kind, 'drop');
  const update = packet.encode({ type: 'query', id: 7, flags: 5 << 11, questions: [{ type: 'A', name: 'web.default.svc.cluster.local' }] });
  assert.equal(decoded(handleQuery(zone, 1, update, 'udp')).rcode, 'NOTIMP');
});

test('a name outside the zone is to be forwarded, a response is dropped', () => {
  assert.deepEqual(handleQuery(zone, 1, query('example.com'), 'udp'), { kind: 'forward', id: 4242 });
  const response = packet.encode({ type: 'response', id: 1, flags: 0, questions: [{ type: 'A', name: 'x' }] });
  assert.equal(handleQuery(zone, 1, response, 'udp').kind, 'drop');
});
