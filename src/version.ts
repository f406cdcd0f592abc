/** Berth's version, as `berth version` and /_berth/health report it. */
export const VERSION = '0.1.0';
