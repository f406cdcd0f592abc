// Task definitions through both aws CLIs, and the seed's example through `berth task-definition`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import { ROOT } from './support/berth.ts';
import { sharedBerth } from './support/shared-berth.ts';
import { run } from './support/run.ts';

const berth = sharedBerth();

/** The seed's example, exactly as written (numeric strings and all). */
const SEED = '{"family":"webserver","containerDefinitions":[{"name":"web","image":"nginx","memory":"100","cpu":"99"}],"requiresCompatibilities":["FARGATE"],"networkMode":"awsvpc","memory":"512","cpu":"256"}';
/** The same, with container cpu/memory as the integers the API takes. */
const SEED_API = SEED.replace('"memory":"100","cpu":"99"', '"memory":100,"cpu":99');

interface TaskDef { taskDefinitionArn: string; family: string; revision: number; status: string; cpu?: string; memory?: string; compatibilities: string[]; containerDefinitions: Record<string, unknown>[] }

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
    const fails = (...args: string[]) => awsFails(cli, berth.endpoint, ['ecs', ...args]);
    const register = (json: string) => ecs<{ taskDefinition: TaskDef; tags?: unknown[] }>('register-task-definition', '--cli-input-json', json);

    test("the seed's webserver task definition registers, describes, lists and deregisters", async () => {
      const { taskDefinition: td } = await register(SEED_API);
      assert.equal(td.taskDefinitionArn, 'arn:aws:ecs:us-east-1:000000000000:task-definition/webserver:1');
      assert.equal(td.status, 'ACTIVE');
      assert.deepEqual([td.cpu, td.memory], ['256', '512']);
      assert.deepEqual(td.compatibilities, ['EC2', 'FARGATE']);
      assert.deepEqual(td.containerDefinitions[0], {
        name: 'web', image: 'nginx', cpu: 99, memory: 100, portMappings: [], essential: true,
        environment: [], mountPoints: [], volumesFrom: [], systemControls: [],
      });
      const described = await ecs<{ taskDefinition: TaskDef }>('describe-task-definition', '--task-definition', 'webserver');
      assert.deepEqual(described.taskDefinition, td);
      assert.deepEqual((await ecs<{ taskDefinitionArns: string[] }>('list-task-definitions')).taskDefinitionArns, [td.taskDefinitionArn]);
      const dereg = await ecs<{ taskDefinition: TaskDef }>('deregister-task-definition', '--task-definition', 'webserver:1');
      assert.equal(dereg.taskDefinition.status, 'INACTIVE');
      assert.deepEqual((await ecs<{ taskDefinitionArns: string[] }>('list-task-definitions')).taskDefinitionArns, []);
      assert.deepEqual((await ecs<{ taskDefinitionArns: string[] }>('list-task-definitions', '--status', 'INACTIVE')).taskDefinitionArns, [td.taskDefinitionArn]);
    });

    test('every container-definition field is stored and returned as given', async () => {
      const container = {
        name: 'full', image: 'busybox:1.36', cpu: 128, memory: 256, memoryReservation: 128, essential: true,
        portMappings: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }],
        entryPoint: ['sh', '-c'], command: ['httpd -f'], environment: [{ name: 'A', value: '1' }],
        environmentFiles: [{ value: 'arn:aws:s3:::bucket/env', type: 's3' }],
        mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: true }], volumesFrom: [],
        linuxParameters: { capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] }, initProcessEnabled: true, sharedMemorySize: 64, tmpfs: [{ containerPath: '/tmp', size: 32, mountOptions: ['noexec'] }] },
        dependsOn: [{ containerName: 'side', condition: 'START' }],
        startTimeout: 60, stopTimeout: 20, hostname: 'box', user: '1000:1000', workingDirectory: '/srv',
        disableNetworking: false, privileged: false, readonlyRootFilesystem: true, dnsServers: ['10.0.0.2'], dnsSearchDomains: ['example.com'],
        extraHosts: [{ hostname: 'db', ipAddress: '10.0.0.9' }], dockerSecurityOptions: ['no-new-privileges'],
        interactive: false, pseudoTerminal: false, dockerLabels: { team: 'core' },
        ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } },
        healthCheck: { command: ['CMD-SHELL', 'wget -q -O- localhost || exit 1'], interval: 10, timeout: 3, retries: 2, startPeriod: 5 },
        systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
        secrets: [{ name: 'S', valueFrom: 'arn:aws:ssm:us-east-1:000000000000:parameter/s' }],
      };
      const side = { name: 'side', image: 'busybox', memory: 64, essential: false };
      const input = JSON.stringify({ family: 'full', networkMode: 'bridge', containerDefinitions: [container, side], volumes: [{ name: 'data', host: { sourcePath: '/srv/data' } }], tags: [{ key: 'k', value: 'v' }] });
      const out = await register(input);
      assert.deepEqual(out.tags, [{ key: 'k', value: 'v' }]);
      assert.deepEqual(out.taskDefinition.containerDefinitions[0], container);
      const described = await ecs<{ taskDefinition: TaskDef; tags: unknown[] }>('describe-task-definition', '--task-definition', 'full:1', '--include', 'TAGS');
      assert.deepEqual(described.taskDefinition.containerDefinitions[0], container);
      assert.deepEqual(described.tags, [{ key: 'k', value: 'v' }]);
    });

    test('revisions count up per family and are never reused, even after deletion', async () => {
      const small = (family: string) => JSON.stringify({ family, containerDefinitions: [{ name: 'c', image: 'busybox', memory: 32 }] });
      for (let i = 0; i < 3; i++) await register(small('rev'));
      await ecs('deregister-task-definition', '--task-definition', 'rev:3');
      // Debian's aws CLI v2 (2.9) predates DeleteTaskDefinitions (2023): only v1 can call it.
      if (cli.name === 'aws CLI v1') {
        const deleted = await ecs<{ taskDefinitions: TaskDef[]; failures: { reason: string }[] }>('delete-task-definitions', '--task-definitions', 'rev:3', 'rev:2');
        assert.deepEqual(deleted.taskDefinitions.map((t) => [t.revision, t.status]), [[3, 'DELETE_IN_PROGRESS']]);
        assert.match(deleted.failures[0]!.reason, /ACTIVE/);
      }
      assert.equal((await register(small('rev'))).taskDefinition.revision, 4);
      assert.equal((await ecs<{ taskDefinition: TaskDef }>('describe-task-definition', '--task-definition', 'rev')).taskDefinition.revision, 4);
    });

    test('list-task-definitions filters by family and status, sorts, and pages; families list by prefix and status', async () => {
      const small = (family: string) => JSON.stringify({ family, containerDefinitions: [{ name: 'c', image: 'busybox', memory: 32 }] });
      for (const f of ['b', 'a', 'a-b', 'b']) await register(small(f));
      const asc = await ecs<{ taskDefinitionArns: string[] }>('list-task-definitions');
      assert.deepEqual(asc.taskDefinitionArns.map((a) => a.split('/')[1]), ['a:1', 'a-b:1', 'b:1', 'b:2']);
      const desc = await ecs<{ taskDefinitionArns: string[] }>('list-task-definitions', '--sort', 'DESC');
      assert.deepEqual(desc.taskDefinitionArns.map((a) => a.split('/')[1]), ['b:2', 'b:1', 'a-b:1', 'a:1']);
      const fam = await ecs<{ taskDefinitionArns: string[] }>('list-task-definitions', '--family-prefix', 'b');
      assert.deepEqual(fam.taskDefinitionArns.map((a) => a.split('/')[1]), ['b:1', 'b:2']);
      const page = await ecs<{ taskDefinitionArns: string[]; NextToken?: string }>('list-task-definitions', '--max-items', '3');
      const rest = await ecs<{ taskDefinitionArns: string[] }>('list-task-definitions', '--starting-token', page.NextToken!);
      assert.deepEqual([...page.taskDefinitionArns, ...rest.taskDefinitionArns], asc.taskDefinitionArns);
      await ecs('deregister-task-definition', '--task-definition', 'a-b:1');
      assert.deepEqual((await ecs<{ families: string[] }>('list-task-definition-families')).families, ['a', 'b']);
      assert.deepEqual((await ecs<{ families: string[] }>('list-task-definition-families', '--status', 'INACTIVE')).families, ['a-b']);
      assert.deepEqual((await ecs<{ families: string[] }>('list-task-definition-families', '--family-prefix', 'a', '--status', 'ALL')).families, ['a', 'a-b']);
    });

    test('Fargate rules and container rules are enforced with ClientException, and nothing is stored', async () => {
      const bad = [
        [{ family: 'f', requiresCompatibilities: ['FARGATE'], networkMode: 'bridge', cpu: '256', memory: '512', containerDefinitions: [{ name: 'c', image: 'i' }] }, /awsvpc/],
        [{ family: 'f', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', memory: '512', containerDefinitions: [{ name: 'c', image: 'i' }] }, /'cpu'/],
        [{ family: 'f', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '100', containerDefinitions: [{ name: 'c', image: 'i' }] }, /No Fargate configuration exists for given values: 256 CPU, 100 memory/],
        [{ family: 'f', containerDefinitions: [{ name: 'c', image: 'i' }] }, /At least one of 'memory' or 'memoryReservation'/],
        [{ family: 'f', containerDefinitions: [{ name: 'c', image: 'i', memory: 64 }, { name: 'c', image: 'i', memory: 64 }] }, /Duplicate container name/],
        [{ family: 'f', containerDefinitions: [{ name: 'c', image: 'i', memory: 64, dependsOn: [{ containerName: 'x', condition: 'START' }] }] }, /depends on container 'x'/],
        [{ family: 'f', networkMode: 'awsvpc', containerDefinitions: [{ name: 'c', image: 'i', memory: 64, portMappings: [{ containerPort: 80, hostPort: 81 }] }] }, /must match/],
        [{ family: 'f', containerDefinitions: [{ name: 'c', image: 'i', memory: 64, essential: false }] }, /essential/],
      ] as const;
      for (const [input, message] of bad) {
        const e = await fails('register-task-definition', '--cli-input-json', JSON.stringify(input));
        assert.equal(e.code, 'ClientException', JSON.stringify(input));
        assert.match(e.message, message);
      }
      assert.deepEqual((await ecs<{ families: string[] }>('list-task-definition-families', '--status', 'ALL')).families, []);
    });

    test('describe and deregister errors', async () => {
      const missing = await fails('describe-task-definition', '--task-definition', 'ghost:1');
      assert.equal(missing.code, 'ClientException');
      assert.match(missing.message, /Unable to describe task definition/);
      const noRev = await fails('deregister-task-definition', '--task-definition', 'ghost');
      assert.equal(noRev.code, 'ClientException');
    });
  });
}

describe('berth task-definition register', () => {
  test("registers the seed's example exactly as written, noting each number it read from a string", async () => {
    const file = join(berth.dataDir, 'seed.json');
    writeFileSync(file, SEED);
    const r = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'task-definition', 'register', file, '--endpoint', berth.endpoint, '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /containerDefinitions\[0\]\.memory: read the string "100" as the integer 100/);
    assert.match(r.stderr, /containerDefinitions\[0\]\.cpu: read the string "99" as the integer 99/);
    const out = JSON.parse(r.stdout) as { taskDefinition: TaskDef };
    assert.equal(out.taskDefinition.containerDefinitions[0]!.memory, 100);
    assert.equal(out.taskDefinition.memory, '512');
  });

  test('the API itself refuses the string with SerializationException, naming the field', async () => {
    const res = await fetch(berth.endpoint, { method: 'POST', headers: { 'X-Amz-Target': 'AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition', 'Content-Type': 'application/x-amz-json-1.1' }, body: SEED });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'SerializationException');
    const body = await res.json() as { __type: string; message: string };
    assert.equal(body.__type, 'SerializationException');
    assert.match(body.message, /containerDefinitions\[0\]\.(cpu|memory) must be an integer, not the string/);
  });
});
