/**
 * DNS messages in and out, with dns-packet (a maintained codec, used by multicast-dns and
 * others) for the wire format: a query becomes a question for the zone, and the zone's
 * answer becomes a response. Pure.
 */
import * as packet from 'dns-packet';
import { answer, type ZoneAnswer, type ZoneData, type ZoneRecord } from './zone.ts';

/** The largest UDP answer without EDNS (RFC 1035 §4.2.1); a bigger one is sent truncated (TC) so the client asks over TCP. */
export const CLASSIC_UDP_LIMIT = 512;
/** The largest UDP answer we send whatever a client's EDNS offers: the size DNS Flag Day 2020 settled on against fragmentation. */
export const EDNS_UDP_LIMIT = 1232;

export type Handled =
  /** Send these bytes back. */
  | { readonly kind: 'reply'; readonly bytes: Buffer }
  /** Not the cluster's: relay the query as it came to an upstream resolver. */
  | { readonly kind: 'forward'; readonly id: number }
  /** Not a DNS message at all: drop it (answering garbage invites reflection). */
  | { readonly kind: 'drop' };

/** Response codes (RFC 1035 §4.1.1): they travel in the header's low four flag bits. */
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODE;
/** The header's opcode bits; a reply echoes the query's. */
const OPCODE_BITS = 0x7800;

/**
 * Handles one query message from a client. `transport` decides truncation: over UDP an answer
 * is cut to what the client can take; over TCP it is whole.
 */
export function handleQuery(zone: ZoneData, serial: number, bytes: Buffer, transport: 'udp' | 'tcp'): Handled {
  let query: packet.Packet;
  try {
    query = packet.decode(bytes);
  } catch {
    // A header we can read still deserves FORMERR (RFC 1035): the client learns it sent garbage.
    return bytes.length >= 12 ? { kind: 'reply', bytes: formErr(bytes) } : { kind: 'drop' };
  }
  if (query.type !== 'query') return { kind: 'drop' };
  const question = query.questions?.[0];
  if (!question || (query.questions?.length ?? 0) !== 1) return reply(query, 'FORMERR', [], []);
  if (((query.flags ?? 0) & OPCODE_BITS) !== 0) return reply(query, 'NOTIMP', [], []);
  const result: ZoneAnswer = answer(zone, question.name, question.type, serial);
  if (result.kind === 'outside') return { kind: 'forward', id: query.id ?? 0 };
  const encoded = result.kind === 'found'
    ? reply(query, 'NOERROR', result.answers, [])
    : reply(query, result.kind === 'nxdomain' ? 'NXDOMAIN' : 'NOERROR', [], [result.soa]);
  if (encoded.kind !== 'reply' || transport === 'tcp') return encoded;
  const limit = udpLimit(query);
  return encoded.bytes.length <= limit ? encoded : reply(query, 'NOERROR', [], [], true);
}

/** The most a UDP client takes: its EDNS payload size (within ours), else the classic 512. */
function udpLimit(query: packet.Packet): number {
  const opt = query.additionals?.find((r) => r.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  if (!opt?.udpPayloadSize) return CLASSIC_UDP_LIMIT;
  return Math.max(CLASSIC_UDP_LIMIT, Math.min(opt.udpPayloadSize, EDNS_UDP_LIMIT));
}

function reply(query: packet.Packet, rcode: Rcode, answers: readonly ZoneRecord[], authorities: readonly ZoneRecord[], truncated = false): Handled {
  // Authoritative for the cluster's names; recursion is offered (we forward the rest).
  const flags = packet.AUTHORITATIVE_ANSWER | packet.RECURSION_AVAILABLE | RCODE[rcode]
    | (query.flags ?? 0) & (packet.RECURSION_DESIRED | OPCODE_BITS) | (truncated ? packet.TRUNCATED_RESPONSE : 0);
  const response: packet.Packet = {
    type: 'response',
    id: query.id ?? 0,
    flags,
    questions: query.questions ?? [],
    answers: truncated ? [] : answers.map(toPacketAnswer),
    authorities: truncated ? [] : authorities.map(toPacketAnswer),
    // A client that spoke EDNS gets EDNS back, with the size we take.
    additionals: query.additionals?.some((r) => r.type === 'OPT') ? [ednsOpt()] : [],
  };
  return { kind: 'reply', bytes: packet.encode(response) };
}

function toPacketAnswer(r: ZoneRecord): packet.Answer {
  switch (r.type) {
    case 'TXT': return { name: r.name, ttl: r.ttl, type: 'TXT', class: 'IN', data: r.data };
    case 'SRV': return { name: r.name, ttl: r.ttl, type: 'SRV', class: 'IN', data: { ...r.data } };
    case 'SOA': return { name: r.name, ttl: r.ttl, type: 'SOA', class: 'IN', data: { ...r.data } };
    default: return { name: r.name, ttl: r.ttl, type: r.type, class: 'IN', data: r.data } as packet.Answer;
  }
}

function ednsOpt(): packet.Answer {
  return { type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_LIMIT, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
}

/** FORMERR for a message we could not decode: its id and opcode echoed, nothing else. */
function formErr(bytes: Buffer): Buffer {
  const out = Buffer.alloc(12);
  bytes.copy(out, 0, 0, 2);
  // QR=1, the query's opcode, RA; rcode 1 (FORMERR); all counts zero.
  out[2] = 0x80 | (bytes[2]! & 0x78);
  out[3] = 0x80 | 0x01;
  return out;
}

/** SERVFAIL for a query we could not get an upstream answer to (the id and question echoed). */
export function servFail(bytes: Buffer): Buffer {
  try {
    const query = packet.decode(bytes);
    const r = reply(query, 'SERVFAIL', [], []);
    return r.kind === 'reply' ? r.bytes : formErr(bytes);
  } catch {
    return formErr(bytes);
  }
}
