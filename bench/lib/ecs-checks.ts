/**
 * What an ECS benchmark checks after the load: the revisions Berth really has, read back
 * through the API (ListTaskDefinitions, DescribeTaskDefinition) as a user would.
 */

import type { EcsClient } from './aws-json.ts';

/** ListTaskDefinitions' largest page (ECS API reference). */
const LIST_PAGE = 100;

/** Every ACTIVE revision stored, by family: one pass of ListTaskDefinitions. */
export async function storedRevisions(client: EcsClient): Promise<Map<string, number[]>> {
  const byFamily = new Map<string, number[]>();
  let nextToken: string | undefined;
  do {
    const page = await client.ok<{ taskDefinitionArns: string[]; nextToken?: string }>('ListTaskDefinitions', { maxResults: LIST_PAGE, ...(nextToken && { nextToken }) });
    for (const arn of page.taskDefinitionArns) {
      const m = /task-definition\/(.+):(\d+)$/.exec(arn);
      if (!m) throw new Error(`ListTaskDefinitions returned '${arn}', not a task definition ARN`);
      const list = byFamily.get(m[1]!) ?? [];
      list.push(Number(m[2]));
      byFamily.set(m[1]!, list);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return byFamily;
}

/** The revisions of the families starting with `prefix`: their total, and any gap or duplicate. */
export function contiguity(stored: Map<string, number[]>, prefix: string, expectedFamilies?: number) {
  const families = [...stored.keys()].filter((f) => f.startsWith(prefix)).sort();
  const problems: string[] = [];
  let total = 0;
  for (const f of families) {
    const revs = [...stored.get(f)!].sort((a, b) => a - b);
    total += revs.length;
    const bad = revs.findIndex((r, i) => r !== i + 1);
    if (bad >= 0) problems.push(`${f} has revisions ${revs.slice(Math.max(0, bad - 1), bad + 2).join(',')}… (expected 1..${revs.length})`);
  }
  if (expectedFamilies !== undefined && families.length !== expectedFamilies) problems.push(`${families.length} families instead of ${expectedFamilies}`);
  return { families, total, problems };
}

/** The latest ACTIVE revision of each family, as DescribeTaskDefinition answers it. */
export async function latestRevisions(client: EcsClient, families: readonly string[]): Promise<number[]> {
  return Promise.all(families.map(async (f) =>
    (await client.ok<{ taskDefinition: { revision: number } }>('DescribeTaskDefinition', { taskDefinition: f })).taskDefinition.revision));
}
