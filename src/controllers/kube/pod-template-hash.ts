/**
 * The `pod-template-hash` label: a short, stable name for one pod template of a Deployment, so
 * its ReplicaSet is `<deployment>-<hash>` and its pods are told apart from another revision's.
 * FNV-1a (32-bit) over the template's canonical JSON and the Deployment's collision count, its
 * decimal digits spelled in the API server's safe alphabet (no vowels, no look-alikes). The
 * API server hashes Go's printing of the template instead, so the values differ from a real
 * cluster's; what holds is the same: equal templates, equal hash.
 */

/** The alphabet the API server's SafeEncodeString uses: no vowels (no words), no 0/1/3 (look-alikes). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

export function podTemplateHash(template: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const feed = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  feed(canonical(template));
  if (collisionCount > 0) feed(String(collisionCount));
  return [...String(h >>> 0)].map((d) => SAFE[d.charCodeAt(0) % SAFE.length]).join('');
}

/** JSON with object keys sorted, so key order never changes the hash. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
