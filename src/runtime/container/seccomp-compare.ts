/**
 * Compares two OCI seccomp filters syscall by syscall: what each does with every syscall
 * either of them names (a syscall neither names gets each filter's default). Used by
 * `scripts/seccomp-compare.ts` to hold Berth's converted profile against Docker's default;
 * seccomp.md is its output, annotated.
 */

import type { OciSeccomp, OciSyscallArg, OciSyscallRule } from './oci-spec.ts';

export type Verdict =
  /** One side allows it outright, the other refuses it or allows it only under conditions. */
  | 'left stricter' | 'right stricter'
  /** Both refuse it outright, with different errnos. */
  | 'errno'
  /** Argument conditions differ (or both sides have some): read the rules. */
  | 'conditions';

export interface SyscallDifference {
  readonly name: string;
  /** Each side's rules for it, one line each, e.g. `ALLOW if arg0 & 0x7e020000 == 0`, `ERRNO 1 (default)`. */
  readonly left: readonly string[];
  readonly right: readonly string[];
  readonly verdict: Verdict;
}

export function compareFilters(left: OciSeccomp, right: OciSeccomp): SyscallDifference[] {
  const names = [...new Set([...left.syscalls, ...right.syscalls].flatMap((r) => r.names))].sort();
  const out: SyscallDifference[] = [];
  for (const name of names) {
    const l = outcome(left, name);
    const r = outcome(right, name);
    if (l.key === r.key) continue;
    out.push({ name, left: l.lines, right: r.lines, verdict: verdict(l, r) });
  }
  return out;
}

/** One filter's rules for one syscall, one line each (its default when it names it nowhere). */
export function describeSyscall(filter: OciSeccomp, name: string): string[] {
  return outcome(filter, name).lines;
}

interface Outcome {
  readonly lines: string[];
  /** The lines without the `(default)` remark: the same answer given either way is no difference. */
  readonly key: string;
  readonly allowsAlways: boolean;
  readonly refusesAlways: boolean;
}

function outcome(filter: OciSeccomp, name: string): Outcome {
  const rules = filter.syscalls.filter((r) => r.names.includes(name));
  if (rules.length === 0) {
    const action = describeAction(filter.defaultAction, filter.defaultErrnoRet);
    return { lines: [`${action} (default)`], key: action, allowsAlways: action === 'ALLOW', refusesAlways: action !== 'ALLOW' };
  }
  const lines = [...new Set(rules.map(describeRule))].sort();
  const unconditional = rules.filter((r) => (r.args ?? []).length === 0);
  // An unconditional rule decides alone only when no other rule competes with it.
  const alone = unconditional.length === rules.length && new Set(rules.map((r) => describeAction(r.action, r.errnoRet))).size === 1;
  const action = describeAction(rules[0]!.action, rules[0]!.errnoRet);
  return { lines, key: lines.join('; '), allowsAlways: alone && action === 'ALLOW', refusesAlways: alone && action !== 'ALLOW' };
}

function verdict(l: Outcome, r: Outcome): Verdict {
  if (l.allowsAlways !== r.allowsAlways) return l.allowsAlways ? 'right stricter' : 'left stricter';
  if (l.refusesAlways && r.refusesAlways) return 'errno';
  if (l.refusesAlways !== r.refusesAlways) return l.refusesAlways ? 'left stricter' : 'right stricter';
  return 'conditions';
}

function describeAction(action: string, errno: number | undefined): string {
  const short = action.replace(/^SCMP_ACT_/, '');
  return short === 'ERRNO' ? `ERRNO ${errno ?? '?'}` : short;
}

function describeRule(r: OciSyscallRule): string {
  const action = describeAction(r.action, r.errnoRet);
  const args = r.args ?? [];
  return args.length === 0 ? action : `${action} if ${args.map(describeArg).join(' && ')}`;
}

const OPS: Readonly<Record<string, string>> = {
  SCMP_CMP_EQ: '==', SCMP_CMP_NE: '!=', SCMP_CMP_LT: '<', SCMP_CMP_LE: '<=', SCMP_CMP_GT: '>', SCMP_CMP_GE: '>=',
};

function describeArg(a: OciSyscallArg): string {
  if (a.op === 'SCMP_CMP_MASKED_EQ') return `arg${a.index} & 0x${a.value.toString(16)} == ${a.valueTwo === 0 ? 0 : `0x${a.valueTwo.toString(16)}`}`;
  return `arg${a.index} ${OPS[a.op] ?? a.op} ${a.value}`;
}
