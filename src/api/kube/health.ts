/**
 * `/version`, `/healthz`, `/livez`, `/readyz` (with `?verbose`), as an EKS API server answers them.
 */

/** The patch release Berth reports for every minor version it serves. */
export const PATCH_RELEASE = 9;

/** The checks listed by `?verbose`: those that mean something for Berth's server. */
const CHECKS = ['ping', 'log', 'etcd', 'poststarthook/start-apiextensions-controllers', 'poststarthook/bootstrap-controller'];

export function versionInfo(minorVersion: string): object {
  const [major, minor] = minorVersion.split('.');
  return {
    major: major ?? '1', minor: minor ?? '32', gitVersion: `v${minorVersion}.${PATCH_RELEASE}-eks-berth`, gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean', buildDate: '2026-12-01T00:00:00Z', goVersion: 'go1.23.9', compiler: 'gc', platform: 'linux/amd64',
  };
}

/** The text answer of a health path, or undefined when `path` is none. */
export function healthCheck(path: string, query: URLSearchParams): string | undefined {
  const m = /^\/(healthz|livez|readyz)(?:\/(.+))?$/.exec(path);
  if (!m) return undefined;
  if (m[2] !== undefined) return CHECKS.includes(m[2]) ? 'ok' : undefined;
  if (!query.has('verbose')) return 'ok';
  const name = m[1] === 'healthz' ? 'healthz' : m[1] === 'livez' ? 'livez' : 'readyz';
  return `${CHECKS.map((c) => `[+]${c} ok`).join('\n')}\n${name} check passed\n`;
}
