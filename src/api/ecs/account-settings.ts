import { fail } from '../../core/errors.ts';
import { effective, SETTING_NAMES, validateSettingValue, type Setting, type SettingName } from '../../core/ecs/account-settings.ts';
import { keys } from '../../core/ecs/keys.ts';
import { rootPrincipal, type Scope } from '../../core/ecs/scope.ts';
import { pageSize } from '../../core/pagination.ts';
import { getJson } from '../../store/json.ts';
import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import { scopeOf, type EcsDeps } from './deps.ts';

/** The account-wide default is stored under this principal segment. */
const ACCOUNT_DEFAULT = '*';
/** ListAccountSettings pages hold 1 to 10 settings (ECS API reference). */
const MAX_PAGE = 10;

const settingKey = (scope: Scope, principal: string, name: SettingName) =>
  keys.accountSetting(scope, principal === ACCOUNT_DEFAULT ? principal : encodeURIComponent(principal), name);

async function read(store: Store, scope: Scope, principal: string, name: SettingName): Promise<Setting | undefined> {
  return (await getJson<Setting>(store, settingKey(scope, principal, name)))?.value;
}

/** The value of a setting in force for the caller (used where a default follows a setting). */
export async function effectiveSetting(store: Store, scope: Scope, ctx: RequestContext, name: SettingName): Promise<string> {
  return settingFor(store, scope, principalOf(ctx, undefined), name);
}

/** The value in force for a principal (its own, the account default, AWS's), outside a request (the agent gateway's). */
export async function settingFor(store: Store, scope: Scope, principal: string, name: SettingName): Promise<string> {
  return effective(name, await read(store, scope, principal, name), await read(store, scope, ACCOUNT_DEFAULT, name), principal).value;
}

function principalOf(ctx: RequestContext, given: string | undefined): string {
  if (given === undefined) return rootPrincipal(scopeOf(ctx));
  if (!/^arn:aws[a-z-]*:iam::\d{12}:(root|user\/.+|role\/.+)$/.test(given)) {
    fail('InvalidParameterException', `principalArn '${given}' is not valid: give the ARN of an IAM user, role, or the root user (arn:aws:iam::<account>:root).`);
  }
  return given;
}

export function accountSettingOperations({ store }: EcsDeps) {
  const put = async (scope: Scope, principal: string, name: SettingName, value: string, principalArn: string): Promise<Setting> => {
    validateSettingValue(name, value);
    const setting: Setting = { name, value, principalArn, type: 'user' };
    await store.txn({ ops: [{ type: 'put', key: settingKey(scope, principal, name), value: JSON.stringify(setting) }] });
    return setting;
  };

  return {
    async PutAccountSetting(input: { name: SettingName; value: string; principalArn?: string }, ctx: RequestContext) {
      const principal = principalOf(ctx, input.principalArn);
      return { setting: await put(scopeOf(ctx), principal, input.name, input.value, principal) };
    },

    async PutAccountSettingDefault(input: { name: SettingName; value: string }, ctx: RequestContext) {
      return { setting: await put(scopeOf(ctx), ACCOUNT_DEFAULT, input.name, input.value, rootPrincipal(scopeOf(ctx))) };
    },

    async DeleteAccountSetting(input: { name: SettingName; principalArn?: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const principal = principalOf(ctx, input.principalArn);
      const key = settingKey(scope, principal, input.name);
      const existing = await getJson<Setting>(store, key);
      await store.txn({ ops: [{ type: 'delete', key }] });
      const fallback = effective(input.name, undefined, await read(store, scope, ACCOUNT_DEFAULT, input.name), principal);
      return { setting: existing?.value ?? fallback };
    },

    /**
     * With `effectiveSettings`, every setting (or the one named) as it is in force for the
     * principal; without, only the settings set for that principal.
     */
    async ListAccountSettings(input: { name?: SettingName; value?: string; principalArn?: string; effectiveSettings?: boolean; nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      if (input.value !== undefined && input.name === undefined) fail('InvalidParameterException', 'Filtering by value needs a setting name: pass name as well as value.');
      const principal = principalOf(ctx, input.principalArn);
      const limit = pageSize(input.maxResults, MAX_PAGE);
      const names = input.name ? [input.name] : SETTING_NAMES;
      const all: Setting[] = [];
      for (const name of names) {
        const own = await read(store, scope, principal, name);
        const s = input.effectiveSettings ? effective(name, own, await read(store, scope, ACCOUNT_DEFAULT, name), principal) : own;
        if (s && (input.value === undefined || s.value === input.value)) all.push(s);
      }
      const start = input.nextToken === undefined ? 0 : tokenIndex(input.nextToken, all.length);
      const page = all.slice(start, start + limit);
      return { settings: page, ...(start + limit < all.length && { nextToken: Buffer.from(String(start + limit)).toString('base64url') }) };
    },
  };
}

function tokenIndex(token: string, total: number): number {
  const n = Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isInteger(n) || n < 0 || n > total) fail('InvalidParameterException', 'The nextToken is not valid. Pass the nextToken exactly as a previous ListAccountSettings call returned it.');
  return n;
}
