/**
 * The task-start benchmark's memory figure for issue 4: a standalone `berth agent --join`
 * beside `berth up --no-agent`, its RSS once connected, after the first task (which pulls
 * the image) stopped, and with TASKS tasks running. The agent's process is the one whose
 * RSS counts: the embedded agent of `berth up` shares its process with the control plane.
 */

import { join } from 'node:path';
import { cleanupAgentHost, settledResidentKiB } from './agent-host.ts';
import { cpuSnapshot } from './cpu-usage.ts';
import { describeTasks, runTask, RUN_TASK_MAX_COUNT, stopTasks, waitForStatus, whyStopped } from './ecs-tasks.ts';
import type { FigureRow } from './figures-table.ts';
import { CLUSTER, oneTask, runInput, STOP_ALL_TIMEOUT_MS, TASK_TIMEOUT_MS } from './task-load.ts';
import { checkInterrupted, say, setUpBerth, startBerth, stopGracefully, type LaunchOptions } from './task-start-berth.ts';

/** Issue 4's target: the agent's RSS with 100 running tasks. */
export const AGENT_RSS_TARGET_MIB = 80;
/** A first task pulls the image (unpacking layers): far slower than any measured start. */
export const FIRST_TASK_TIMEOUT_MS = 180_000;
const MIB = 1024;

export interface StandaloneRss {
  /** KiB, once connected, before any task. */
  fresh: number;
  /** KiB, after the first task (image pull) stopped. */
  idle: number;
  /** KiB, with the tasks running; with its anonymous part and the process's peak. */
  loaded: number;
  loadedAnon: number;
  loadedPeak: number;
  tasks: number;
  /** The agent's own CPU (user + system) per task while the tasks started, ms: what memory-saving flags cost. */
  cpuPerTaskMs: number;
  /** The first task's RunTask → RUNNING as the client saw it, s: it pulls and unpacks the image. */
  firstTaskSeconds: number;
  /** Wall time from the first RunTask to all tasks RUNNING, s. */
  startSeconds: number;
}

/** Starts Berth without an agent and a standalone agent beside it, runs `tasks` tasks, and takes the agent's RSS. */
export async function measureStandaloneAgent(work: string, o: LaunchOptions, tasks: number): Promise<StandaloneRss> {
  const b2 = await startBerth(work, 'standalone', o, true);
  const c2 = await setUpBerth(b2, o);
  const w = await oneTask(c2, 'bridge', 50, FIRST_TASK_TIMEOUT_MS);
  await stopTasks(c2, CLUSTER, [w.arn], STOP_ALL_TIMEOUT_MS);
  const idle = await settledResidentKiB(b2.agentPid);
  say(`standalone agent RSS once connected: ${((b2.freshRss ?? NaN) / MIB).toFixed(1)} MiB; after the first task (RUNNING in ${(w.clientMs / 1000).toFixed(2)} s, image pulled): ${(idle.rss / MIB).toFixed(1)} MiB; starting ${tasks} tasks`);
  const arns: string[] = [];
  const cpu0 = cpuSnapshot(b2.agentPid);
  const t0 = performance.now();
  while (arns.length < tasks) {
    checkInterrupted();
    const out = await runTask(c2, runInput('bridge', Math.min(RUN_TASK_MAX_COUNT, tasks - arns.length)));
    arns.push(...out.tasks.map((t) => t.taskArn));
    if (out.failures.length) throw new Error(`RunTask failures: ${JSON.stringify(out.failures)}`);
    await waitForStatus(c2, CLUSTER, arns, 'RUNNING', TASK_TIMEOUT_MS, 100);
  }
  const startSeconds = (performance.now() - t0) / 1000;
  const cpuPerTaskMs = (cpuSnapshot(b2.agentPid).selfMs - cpu0.selfMs) / tasks;
  const stopped = (await describeTasks(c2, CLUSTER, arns)).filter((t) => t.lastStatus !== 'RUNNING');
  if (stopped.length) throw new Error(`${stopped.length} standalone tasks are not RUNNING: ${whyStopped(stopped[0]!)}`);
  const loaded = await settledResidentKiB(b2.agentPid);
  say(`standalone agent RSS with ${tasks} running tasks: ${(loaded.rss / MIB).toFixed(1)} MiB (${(loaded.anon / MIB).toFixed(1)} MiB anonymous)`);
  await stopTasks(c2, CLUSTER, arns, STOP_ALL_TIMEOUT_MS);
  c2.close();
  await stopGracefully(b2.agent!.child);
  await stopGracefully(b2.service.child);
  await cleanupAgentHost(join(b2.dataDir, 'agent'));
  return { fresh: b2.freshRss ?? NaN, idle: idle.rss, loaded: loaded.rss, loadedAnon: loaded.anon, loadedPeak: loaded.peak, tasks, cpuPerTaskMs, startSeconds, firstTaskSeconds: w.clientMs / 1000 };
}

export function standaloneRow(s: StandaloneRss): FigureRow {
  const mib = (k: number) => `${(k / MIB).toFixed(1)} MiB`;
  return {
    figure: `agent RSS, ${s.tasks} running tasks (standalone berth agent)`, berth: mib(s.loaded), baseline: `${mib(s.idle)} at 0 tasks`,
    ratio: undefined, target: `≤ ${AGENT_RSS_TARGET_MIB} MB`, pass: s.loaded <= AGENT_RSS_TARGET_MIB * MIB,
    values: { freshKiB: s.fresh, idleKiB: s.idle, loadedKiB: s.loaded, loadedAnonKiB: s.loadedAnon, loadedPeakKiB: s.loadedPeak, perTaskKiB: (s.loaded - s.idle) / s.tasks, cpuPerTaskMs: s.cpuPerTaskMs, startSeconds: s.startSeconds, firstTaskSeconds: s.firstTaskSeconds },
    note: `${mib(s.fresh)} once connected, before any task; ${mib(s.idle)} after the first task (image pull, RUNNING in ${s.firstTaskSeconds.toFixed(2)} s) stopped; +${mib(s.loaded - s.idle)} for ${s.tasks} tasks (${((s.loaded - s.idle) / s.tasks).toFixed(0)} KiB each); of the ${mib(s.loaded)}, ${mib(s.loadedAnon)} anonymous, the rest file-backed (mostly the node binary's pages); peak ${mib(s.loadedPeak)}; the agent's own CPU ${s.cpuPerTaskMs.toFixed(1)} ms per task start (all RUNNING in ${s.startSeconds.toFixed(1)} s, ${Math.min(s.tasks, RUN_TASK_MAX_COUNT)} RunTask at a time)`,
  };
}
