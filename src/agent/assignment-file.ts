/**
 * A task's assignment as the agent keeps it on disk (task-layout.ts `task.json`), so a
 * restarted agent knows what it ran. Files written before the agent spoke the workload
 * model (session 10) hold the ECS task record, its containers and definition facts: they
 * are read as the spec the control plane would send for them now.
 */
import { readFileSync } from 'node:fs';
import { specOf } from '../core/ecs/task-model.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import type { ContainerDefinition, TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import type { Assignment } from './protocol.ts';

/** The assignment shape of agents before the workload model. */
interface LegacyAssignment extends Omit<Assignment, 'spec' | 'lastStatus'> {
  task: TaskRecord;
  containers: ContainerDefinition[];
  taskDefinition: Pick<TaskDefinitionRecord, 'family' | 'revision' | 'networkMode' | 'volumes' | 'cpu' | 'memory'>;
}

export function readAssignment(path: string): Assignment {
  return fromStored(JSON.parse(readFileSync(path, 'utf8')) as Assignment | LegacyAssignment);
}

export function fromStored(a: Assignment | LegacyAssignment): Assignment {
  if ('spec' in a) return a;
  const { task, containers, taskDefinition, ...rest } = a;
  // The containers are the definition's with the overrides applied; applying them again changes nothing.
  return { ...rest, spec: specOf(task, { ...taskDefinition, containerDefinitions: containers }), lastStatus: task.lastStatus };
}
