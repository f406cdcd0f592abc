/**
 * Coalesces the per-task nft scripts of concurrent setups and teardowns into one `nft -f`
 * transaction. Measured here: each transaction that deletes set elements costs 15-25 ms
 * in the kernel (an RCU grace period) whatever its size, and each `nft` process 3-5 ms, so
 * a burst of N task stops pays that once per batch instead of N times. A lone call runs at
 * once, as before.
 */
import { KeyedBatcher } from '../../lib/keyed-batcher.ts';
import type { ToolResult, Tools } from './tools.ts';

interface Item {
  readonly script: string;
  readonly tolerate: boolean;
}

const ONE_QUEUE = 'nft';

/** Tools whose `nft` goes through a batcher; everything else is passed through. */
export function withBatchedNft(tools: Tools): Tools {
  const batcher = new KeyedBatcher<Item, ToolResult>(async (_key, items) => {
    if (items.length === 1) {
      const only = items[0] as Item;
      return [await tools.nft(only.script, { tolerate: only.tolerate }).catch((e: Error) => e)];
    }
    const together = await tools.nft(items.map((i) => i.script).join(''), { tolerate: true });
    if (together.code === 0) return items.map(() => together);
    // One bad script fails the whole transaction: run them one by one to say which.
    const out: (ToolResult | Error)[] = [];
    for (const i of items) out.push(await tools.nft(i.script, { tolerate: i.tolerate }).catch((e: Error) => e));
    return out;
  });
  return { ...tools, nft: (script, o = {}) => batcher.submit(ONE_QUEUE, { script, tolerate: o.tolerate ?? false }) };
}
