/**
 * The headers `berth` commands send to Berth's own endpoints (/_berth/…): the join token
 * from $BERTH_TOKEN, which a Berth on another host requires ('berth token' on that host
 * shows it). Processes on the Berth host need none.
 */
export function adminHeaders(): Record<string, string> {
  const token = process.env.BERTH_TOKEN;
  return token ? { authorization: `Bearer ${token}` } : {};
}
