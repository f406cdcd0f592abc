import { ApiError } from './errors.ts';

/**
 * AWS list operations page with `maxResults` and an opaque `nextToken`. Berth's token is
 * the last store key of the page, base64url-encoded; it is accepted only when it points
 * into the listing it came from, so a token can never be used to read other keys.
 */
export function encodeToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

export function decodeToken(token: string | undefined, prefix: string): string | undefined {
  if (token === undefined) return undefined;
  const key = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!key.startsWith(prefix)) {
    throw new ApiError('InvalidParameterException', 'The nextToken is not valid. Pass the nextToken exactly as a previous call of the same operation returned it.');
  }
  return key;
}

/** Checks `maxResults` against the operation's range and applies its default. */
export function pageSize(maxResults: number | undefined, max: number, dflt = max): number {
  if (maxResults === undefined) return dflt;
  if (maxResults < 1 || maxResults > max) {
    throw new ApiError('InvalidParameterException', `maxResults must be between 1 and ${max}; it was ${maxResults}.`);
  }
  return maxResults;
}
