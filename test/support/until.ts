/** How often `until` asks again by default: often enough for a test, rarely enough to leave a loaded machine to the work it waits on. */
export const UNTIL_POLL_MS = 500;

/** Polls `f` every `everyMs` until it answers something, or fails naming `what` after `ms`. */
export async function until<T>(what: string, f: () => Promise<T | undefined>, ms: number, everyMs = UNTIL_POLL_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
