// Which complaint comes first: a request's own parameters are checked before anything it
// names is looked up, so a bad parameter is reported even when the cluster is missing too,
// and a refused request changes nothing. Through both aws CLIs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import { sharedBerth } from './support/shared-berth.ts';

const berth = sharedBerth();

const ID = '0123456789abcdef0123456789abcdef';

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    const fails = (...args: string[]) => awsFails(cli, berth.endpoint, ['ecs', ...args]);

    test('a bad parameter is named before a missing cluster', async () => {
      const cases: [string[], RegExp][] = [
        [['describe-tasks', '--cluster', 'ghost', '--tasks', ...Array.from({ length: 101 }, () => ID)], /at most 100 tasks/],
        [['describe-container-instances', '--cluster', 'ghost', '--container-instances', ...Array.from({ length: 101 }, () => ID)], /at most 100 container instances/],
        [['update-container-instances-state', '--cluster', 'ghost', '--container-instances', ID, '--status', 'REGISTERING'], /only be set to ACTIVE or DRAINING/],
        [['run-task', '--cluster', 'ghost', '--task-definition', 'web', '--count', '11'], /count must be between 1 and 10/],
        [['list-attributes', '--cluster', 'ghost', '--target-type', 'container-instance', '--attribute-value', 'v'], /needs attributeName/],
        [['put-attributes', '--cluster', 'ghost', '--attributes', 'name=stack,value=prod'], /needs a targetId/],
        [['list-container-instances', '--cluster', 'ghost', '--filter', 'attribute:stack =='], /cluster query language/],
        [['register-container-instance', '--cluster', 'ghost', '--instance-identity-document', 'not json'], /must be a JSON object/],
        [['register-container-instance', '--cluster', 'ghost', '--total-resources', 'name=CPU,type=INTEGER,integerValue=-1'], /non-negative integerValue/],
        [['stop-task', '--cluster', 'ghost', '--task', 'not-a-task'], /is not a task id or ARN/],
      ];
      for (const [args, message] of cases) {
        const e = await fails(...args);
        assert.deepEqual([e.code, message.test(e.message)], ['InvalidParameterException', true], `${args[0]}: ${e.code}: ${e.message}`);
      }
      // With good parameters the missing cluster is what is wrong.
      assert.equal((await fails('describe-tasks', '--cluster', 'ghost', '--tasks', ID)).code, 'ClusterNotFoundException');
    });

    test('a refused request changes nothing', async () => {
      await aws(cli, berth.endpoint, ['ecs', 'create-cluster', '--cluster-name', 'c']);
      const reg = await aws<{ containerInstance: { containerInstanceArn: string } }>(cli, berth.endpoint, ['ecs', 'register-container-instance', '--cluster', 'c',
        '--total-resources', 'name=CPU,type=INTEGER,integerValue=1024']);
      const arn = reg.containerInstance.containerInstanceArn;
      // The second attribute is malformed: the first must not be stored either.
      assert.equal((await fails('put-attributes', '--cluster', 'c', '--attributes', `name=stack,value=prod,targetId=${arn}`, `name=bad name!,targetId=${arn}`)).code, 'InvalidParameterException');
      const listed = await aws<{ attributes: unknown[] }>(cli, berth.endpoint, ['ecs', 'list-attributes', '--cluster', 'c', '--target-type', 'container-instance', '--attribute-name', 'stack']);
      assert.deepEqual(listed.attributes, []);
      assert.equal((await fails('update-container-instances-state', '--cluster', 'c', '--container-instances', arn, '--status', 'REGISTERING')).code, 'InvalidParameterException');
      const described = await aws<{ containerInstances: { status: string; version: number }[] }>(cli, berth.endpoint, ['ecs', 'describe-container-instances', '--cluster', 'c', '--container-instances', arn]);
      assert.deepEqual([described.containerInstances[0]!.status, described.containerInstances[0]!.version], ['ACTIVE', 1]);
    });
  });
}
