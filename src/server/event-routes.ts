/**
 * GET /_berth/events?region=R&since=MS&detailType=T&follow=1 → application/x-ndjson: the
 * region's stored ECS events (src/events/event-log.ts), oldest first, one EventBridge
 * envelope per line; with follow=1 the answer stays open and each new event follows as it
 * is written. Behind the admin guard (`berth events` calls it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../core/errors.ts';
import type { EcsEvent } from '../events/ecs-event.ts';
import { readEvent, regionEventsPrefix } from '../events/event-log.ts';
import type { Store } from '../store/store.ts';
import { sendError } from './admin-http.ts';

/** Events read per store page while answering. */
const PAGE = 500;

export function eventRoutes({ store, region: defaultRegion, log }: { store: Store; region: string; log: (line: string) => void }) {
  return {
    accepts: (req: IncomingMessage) => req.url?.split('?')[0] === '/_berth/events',
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const url = new URL(req.url!, 'http://berth');
      try {
        if (req.method !== 'GET') throw new ApiError('UnknownOperationException', 'Events are read with GET /_berth/events?region=R&since=MS&detailType=T&follow=1.');
        const region = url.searchParams.get('region') ?? defaultRegion;
        const sinceText = url.searchParams.get('since');
        const since = sinceText === null ? undefined : Number(sinceText);
        if (since !== undefined && !Number.isFinite(since)) throw new ApiError('InvalidParameterException', `since must be epoch milliseconds, not '${sinceText}'.`);
        const detailType = url.searchParams.get('detailType') ?? undefined;
        const follow = url.searchParams.get('follow') === '1';
        const wanted = (e: EcsEvent) => (detailType === undefined || e['detail-type'] === detailType) && (since === undefined || Date.parse(e.time) >= since);
        const prefix = regionEventsPrefix(region);
        let after: string | undefined;
        let revision = 0;
        let started = false;
        const start = () => {
          if (started) return;
          started = true;
          res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
          // Headers now, so a follower sees the stream open before the first event.
          res.flushHeaders();
        };
        for (;;) {
          const page = await store.list(prefix, { limit: PAGE, ...(after !== undefined && { after }) });
          start();
          revision = page.revision;
          for (const kv of page.items) {
            const e = readEvent(kv.key, kv.value);
            if (e && wanted(e)) res.write(`${JSON.stringify(e)}\n`);
          }
          if (!page.more || page.items.length === 0) break;
          after = page.items[page.items.length - 1]!.key;
        }
        if (!follow) {
          res.end();
          return;
        }
        // Everything after the last page's revision: nothing between the listing and the watch is missed.
        const watch = store.watch(prefix, revision, (ev) => {
          if (ev.type !== 'put') return;
          const e = readEvent(ev.kv.key, ev.kv.value);
          if (e && wanted(e)) res.write(`${JSON.stringify(e)}\n`);
        });
        await new Promise<void>((resolve) => res.on('close', () => {
          watch.close();
          resolve();
        }));
      } catch (err) {
        sendError(res, err, log);
      }
    },
  };
}
