/**
 * Kubernetes resource quantities ("500m", "1.5", "128Mi", "1e3", "2G") as exact rationals, and
 * the runtime's units they become: CPU units (1000m = 1024 units, as the kubelet turns
 * millicores into cgroup shares) and MiB (rounded up, so a container never gets less than it
 * asked for). Pure.
 */

/** A quantity as an exact fraction: value = num / den, den > 0. */
export interface Rational { num: bigint; den: bigint }

/** The API server's grammar for a quantity, as its decode error quotes it. */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?$/;

const pow10 = (e: number): bigint => 10n ** BigInt(e);

/** The value of `q`, or undefined when it is not a quantity. Numbers (JSON) are taken as written. */
export function parseQuantity(q: unknown): Rational | undefined {
  const text = typeof q === 'number' ? (Number.isFinite(q) ? String(q) : '') : typeof q === 'string' ? q : '';
  const m = /^([+-]?[0-9.]+)(.*)$/.exec(text.trim() === text ? text : '');
  if (!m) return undefined;
  const n = NUMBER.exec(m[1]!);
  if (!n || (n[2] === '' && (n[3] ?? '') === '')) return undefined;
  const fraction = n[3] ?? '';
  let num = BigInt(`${n[2] || '0'}${fraction}`) * (n[1] === '-' ? -1n : 1n);
  let den = pow10(fraction.length);
  const suffix = m[2]!;
  let exponent = 0;
  if (suffix in BINARY) num *= BINARY[suffix]!;
  else if (suffix in DECIMAL) exponent = DECIMAL[suffix]!;
  else {
    const e = /^[eE]([+-]?\d+)$/.exec(suffix);
    if (!e) return undefined;
    exponent = Number(e[1]);
    if (Math.abs(exponent) > 100) return undefined;
  }
  if (exponent >= 0) num *= pow10(exponent);
  else den *= pow10(-exponent);
  return { num, den };
}

/** Smallest integer ≥ num/den (den > 0). */
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den > 0n ? q + 1n : q;
}

/** Millicores, rounded up as the API server's MilliValue does ("0.0001" is 1m). */
export function milliValue(r: Rational): number {
  return Number(ceilDiv(r.num * 1000n, r.den));
}

/** CPU units (1024 to a CPU) of a CPU quantity: millicores × 1024 / 1000, rounded down as the kubelet's shares are. */
export function cpuUnits(r: Rational): number {
  return Math.floor((milliValue(r) * 1024) / 1000);
}

/** Bytes, rounded up (the API server's Value). */
export function byteValue(r: Rational): number {
  return Number(ceilDiv(r.num, r.den));
}

/** MiB of a memory quantity, rounded up. */
export function mebibytes(r: Rational): number {
  return Number(ceilDiv(r.num, r.den * (1n << 20n)));
}

/** Compares two quantities: negative, 0 or positive. */
export function compareQuantities(a: Rational, b: Rational): number {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export const addQuantities = (a: Rational, b: Rational): Rational => ({ num: a.num * b.den + b.num * a.den, den: a.den * b.den });
export const ZERO: Rational = { num: 0n, den: 1n };
export const maxQuantity = (a: Rational, b: Rational): Rational => (compareQuantities(a, b) >= 0 ? a : b);
