/** What the listing commands (ps, service) share: paging through a List call, and plain tables. */

/** Every item of a paged List call. */
export async function all(page: (token: string | undefined) => Promise<[string[], string | undefined]>): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const [items, next] = await page(token);
    out.push(...items);
    token = next;
  } while (token);
  return out;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
