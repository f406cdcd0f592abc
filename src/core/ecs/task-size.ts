import { ApiError } from '../errors.ts';

/**
 * Task-level cpu and memory are strings on the wire: CPU units ("256") or vCPUs
 * ("0.25 vCPU", "1 vcpu"); MiB ("512") or GB ("1 GB", "0.5gb"). ECS stores and
 * returns them as units and MiB.
 */
export function parseTaskCpu(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(s);
  if (!m) throw new ApiError('ClientException', `Invalid 'cpu' setting for task: '${s}'. Give CPU units ("1024") or vCPUs ("1 vCPU").`);
  const n = Number(m[1]);
  const units = m[2] ? Math.round(n * 1024) : n;
  if (!Number.isInteger(units)) throw new ApiError('ClientException', `Invalid 'cpu' setting for task: '${s}' is not a whole number of CPU units.`);
  return units;
}

export function parseTaskMemory(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(s);
  if (!m) throw new ApiError('ClientException', `Invalid 'memory' setting for task: '${s}'. Give MiB ("512") or GB ("1 GB").`);
  const n = Number(m[1]);
  const mib = m[2] ? Math.round(n * 1024) : n;
  if (!Number.isInteger(mib)) throw new ApiError('ClientException', `Invalid 'memory' setting for task: '${s}' is not a whole number of MiB.`);
  return mib;
}

/**
 * A task-level size as stored ("1024", or the "1 vCPU" / "2 GB" forms an override may
 * carry): CPU units or MiB; undefined when unset or unreadable. Never throws: the rules
 * above refused bad sizes when they came in.
 */
export function taskSize(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb)?\s*$/i.exec(text);
  if (!m) return undefined;
  // 1 vCPU is 1024 units; 1 GB is 1024 MiB (ECS's task size table).
  return Math.round(Number(m[1]) * (m[2] ? 1024 : 1));
}

/** Task CPU bounds on EC2 capacity: 0.125 to 192 vCPUs (ECS task definition parameters). */
export const EC2_TASK_CPU = { min: 128, max: 196_608 } as const;

/**
 * The Fargate task sizes: for each CPU value, the memory range (MiB) and step
 * (AWS Fargate "Task CPU and memory").
 */
const FARGATE_SIZES: readonly { cpu: number; memory: readonly number[] }[] = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: range(1024, 4096, 1024) },
  { cpu: 1024, memory: range(2048, 8192, 1024) },
  { cpu: 2048, memory: range(4096, 16384, 1024) },
  { cpu: 4096, memory: range(8192, 30720, 1024) },
  { cpu: 8192, memory: range(16384, 61440, 4096) },
  { cpu: 16384, memory: range(32768, 122880, 8192) },
];

export function isFargateSize(cpu: number, memory: number): boolean {
  return FARGATE_SIZES.some((s) => s.cpu === cpu && s.memory.includes(memory));
}

/**
 * The smallest Fargate task size that holds `cpu` units and `memory` MiB (what an EC2-mode
 * task would have to ask for on Fargate), or undefined when none is that large.
 */
export function smallestFargateSize(cpu: number, memory: number): { cpu: number; memory: number } | undefined {
  for (const s of FARGATE_SIZES) {
    if (s.cpu < cpu) continue;
    const m = s.memory.find((x) => x >= memory);
    if (m !== undefined) return { cpu: s.cpu, memory: m };
  }
  return undefined;
}

export function fargateSizesHint(): string {
  return FARGATE_SIZES.map((s) => `${s.cpu} CPU: ${s.memory[0]}-${s.memory[s.memory.length - 1]} MiB`).join('; ');
}

function range(from: number, to: number, step: number): number[] {
  const out = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}
