/**
 * The smallest string greater than every string starting with `prefix`, for range scans
 * (`key >= prefix AND key < prefixEnd(prefix)`); '' when there is none (no upper bound).
 */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return '';
}
