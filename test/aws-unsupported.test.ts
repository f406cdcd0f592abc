// Services Berth does not implement yet, called the way users call them: boto3 and both aws
// CLIs get a client error they parse (code, and Berth's message naming service and
// operation), in each protocol — Query, EC2, JSON 1.0 and 1.1, REST-JSON, REST-XML, and
// rpc-v2-cbor through botocore made to prefer it — never a parser crash.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeAddonVersionsCommand, EKSClient } from '@aws-sdk/client-eks';
import { ListHostedZonesCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { AWS_CLIS, awsEnv, type AwsCli, PYTHON3 } from './support/aws-cli.ts';
import { startBerth, type BerthProcess } from './support/berth.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
before(async () => (berth = await startBerth()));
after(async () => await berth?.stop());

const QUERY = 'InvalidAction';
const UNKNOWN = 'UnknownOperationException';

/** What each client calls, and the code its protocol answers with. */
interface Call {
  readonly service: string;
  readonly operation: string;
  readonly cli: readonly string[];
  /** boto3's method. */
  readonly method: string;
  /** The code as the protocol has it; some clients speak another protocol to the service than others. */
  readonly code: string | { readonly v1: string; readonly v2: string };
  /** How Berth's message names the operation of a REST service whose routes the catalog does not keep. */
  readonly asRequest?: string;
}

const CALLS: readonly Call[] = [
  { service: 'ec2', operation: 'DescribeInstances', cli: ['ec2', 'describe-instances'], method: 'describe_instances', code: QUERY },
  { service: 'cloudformation', operation: 'ListStacks', cli: ['cloudformation', 'list-stacks'], method: 'list_stacks', code: QUERY },
  { service: 'elbv2', operation: 'DescribeLoadBalancers', cli: ['elbv2', 'describe-load-balancers'], method: 'describe_load_balancers', code: QUERY },
  { service: 'iam', operation: 'ListRoles', cli: ['iam', 'list-roles'], method: 'list_roles', code: QUERY },
  { service: 'sts', operation: 'GetSessionToken', cli: ['sts', 'get-session-token'], method: 'get_session_token', code: QUERY },
  // EKS is served; an operation of it Berth lacks is answered like any other service's.
  { service: 'eks', operation: 'DescribeAddonVersions', cli: ['eks', 'describe-addon-versions'], method: 'describe_addon_versions', code: UNKNOWN },
  // botocore 1.43 speaks JSON 1.0 to SQS; Debian's aws CLI v2 (2.9) still Query.
  { service: 'sqs', operation: 'ListQueues', cli: ['sqs', 'list-queues'], method: 'list_queues', code: { v1: UNKNOWN, v2: QUERY } },
  { service: 'lambda', operation: 'ListFunctions', cli: ['lambda', 'list-functions'], method: 'list_functions', code: UNKNOWN },
  { service: 'route53', operation: 'ListHostedZones', cli: ['route53', 'list-hosted-zones'], method: 'list_hosted_zones', code: UNKNOWN },
  { service: 'dynamodb', operation: 'ListTables', cli: ['dynamodb', 'list-tables'], method: 'list_tables', code: UNKNOWN },
  { service: 'events', operation: 'ListRules', cli: ['events', 'list-rules'], method: 'list_rules', code: UNKNOWN },
  // CloudWatch's model offers rpc-v2-cbor, JSON 1.0 and Query: botocore 1.43 takes JSON 1.0 (it ranks JSON first), Debian's CLI v2 Query.
  { service: 'cloudwatch', operation: 'ListMetrics', cli: ['cloudwatch', 'list-metrics'], method: 'list_metrics', code: { v1: UNKNOWN, v2: QUERY } },
  // A REST path under /v2/, signed for SES: Berth's, not the registry's.
  { service: 'sesv2', operation: 'GetAccount', cli: ['sesv2', 'get-account'], method: 'get_account', code: UNKNOWN, asRequest: 'GET /v2/email/account' },
];

const codeFor = (call: Call, v: 'v1' | 'v2') => (typeof call.code === 'string' ? call.code : call.code[v]);
const messageOf = (call: Call) => `Berth does not implement ${call.service} ${call.asRequest ?? call.operation} yet; it serves ECS, ECR, EKS, S3, CloudWatch Logs and STS (GetCallerIdentity, AssumeRole) today.`;

/** At most this many CLIs at once: each is a Python process on a shared 2-core machine. */
const CLI_CONCURRENCY = 4;

async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...await Promise.all(items.slice(i, i + size).map(fn)));
  return out;
}

describe('the aws CLIs', () => {
  for (const cli of AWS_CLIS) {
    const v = cli.name === 'aws CLI v1' ? 'v1' : 'v2';
    test(`${cli.name}: a parsed error with Berth's message for every protocol`, async () => {
      const results = await inBatches(CALLS, CLI_CONCURRENCY, async (call) => ({ call, r: await cliCall(cli, call) }));
      // The clients' defaults, retries included: none of these answers is one a client retries.
      assert.deepEqual(results.map(({ call, r }) => `${call.cli.join(' ')}: ${r.code} ${r.stderr.trim()}`),
        CALLS.map((call) => `${call.cli.join(' ')}: ${v === 'v1' ? 255 : 254} An error occurred (${codeFor(call, v)}) when calling the ${call.operation} operation: ${messageOf(call)}`));
    });
  }
});

function cliCall(cli: AwsCli, call: Call) {
  return run(cli.bin, ['--endpoint-url', berth.endpoint, '--output', 'json', ...call.cli], { env: awsEnv(undefined, cli) });
}

test('boto3: a ClientError with Error.Code and Error.Message for every protocol (rpc-v2-cbor too), never a parser crash', async () => {
  const script = `
import boto3, json, sys
from botocore.exceptions import ClientError
ep, calls = sys.argv[1], json.loads(sys.argv[2])
out = {}
for service, method in calls:
    try:
        getattr(boto3.client(service, endpoint_url=ep), method)()
        out[service] = {'ok': True}
    except ClientError as e:
        out[service] = {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
                        'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'requestId': e.response['ResponseMetadata'].get('RequestId')}
    except Exception as e:
        out[service] = {'crash': '%s: %s' % (type(e).__name__, e)}
# No botocore here picks rpc-v2-cbor by itself (it ranks JSON first): rank it first, as a
# botocore for a CBOR-only service would, and let botocore's own CBOR parser read the answer.
import botocore.model
botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = ('smithy-rpc-v2-cbor',) + botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
c = boto3.client('cloudwatch', endpoint_url=ep)
assert c.meta.service_model.resolved_protocol == 'smithy-rpc-v2-cbor'
try:
    c.list_metrics()
    out['cbor'] = {'ok': True}
except ClientError as e:
    out['cbor'] = {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
                   'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'requestId': e.response['ResponseMetadata'].get('RequestId')}
except Exception as e:
    out['cbor'] = {'crash': '%s: %s' % (type(e).__name__, e)}
print(json.dumps(out))
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint, JSON.stringify(CALLS.map((c) => [c.service, c.method]))], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, { code?: string; message?: string; status?: number; requestId?: string; crash?: string }>;
  for (const call of CALLS) {
    const got = out[call.service]!;
    assert.equal(got.crash, undefined, `boto3 ${call.service}.${call.method} crashed`);
    assert.equal(got.code, codeFor(call, 'v1'), `boto3 ${call.service}.${call.method}`);
    assert.equal(got.message, messageOf(call), `boto3 ${call.service}.${call.method}`);
    assert.match(got.requestId ?? '', /^[0-9a-f-]{36}$/, `boto3 ${call.service}.${call.method} reads the request id`);
    assert.ok(got.status === 400 || got.status === 404, `boto3 ${call.service}.${call.method}: ${got.status}`);
  }
  const cloudwatch = CALLS.find((c) => c.service === 'cloudwatch')!;
  assert.deepEqual({ ...out.cbor, requestId: undefined }, { code: UNKNOWN, message: messageOf(cloudwatch), status: 400, requestId: undefined }, 'boto3 over rpc-v2-cbor');
  assert.match(out.cbor?.requestId ?? '', /^[0-9a-f-]{36}$/);
});

test('boto3, every service it knows: a client error from Berth for each, never a parser crash', async () => {
  // Each service's first operation that needs no parameters. Host prefixes off: with an IP
  // endpoint they make names like api.127.0.0.1 that never reach Berth (a client matter).
  const script = `
import boto3, botocore, json, sys
from botocore.config import Config
from botocore.exceptions import ClientError
ep = sys.argv[1]
s = boto3.session.Session()
out = {}
for name in s.get_available_services():
    c = s.client(name, endpoint_url=ep, config=Config(retries={'max_attempts': 0}, inject_host_prefix=False))
    m = c.meta.service_model
    ops = [m.operation_model(o) for o in m.operation_names]
    op = next((o for o in ops if (o.input_shape is None or not o.input_shape.required_members) and not o.endpoint_discovery and not o.has_event_stream_output), None)
    if op is None:
        continue
    try:
        getattr(c, botocore.xform_name(op.name))()
        out[name] = 'answered'
    except ClientError as e:
        out[name] = e.response['Error'].get('Message', '')
    except Exception as e:
        out[name] = 'crash: %s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, string>;
  // Served by Berth (STS's GetCallerIdentity; ECR's and CloudWatch Logs' parameterless operations happen to be ones they lack: their own door's answer);
  // CodeCatalyst takes a bearer token the client refuses to go without.
  const expected = { ecs: 'answered', s3: 'answered', sts: 'answered', ecr: /is not supported by this endpoint/, logs: /is not supported by this endpoint/, codecatalyst: /crash: NoAuthTokenError/ };
  for (const [name, want] of Object.entries(expected)) {
    assert.match(out[name] ?? '', typeof want === 'string' ? new RegExp(`^${want}$`) : want, name);
    delete out[name];
  }
  const others = Object.entries(out).filter(([, message]) => !message.startsWith('Berth does not implement '));
  assert.deepEqual(others, [], 'every other service answered with Berth\'s message');
  assert.ok(Object.keys(out).length > 350, `${Object.keys(out).length} services tried`);
});

test('the AWS SDK for JavaScript v3: a service exception with the code as its name and Berth\'s message', async () => {
  const config = { endpoint: berth.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 };
  // One client per protocol as the JS SDK speaks it (CloudWatch: JSON 1.0 there).
  const calls: [string, () => Promise<unknown>][] = [
    ['ec2', () => new EC2Client(config).send(new DescribeInstancesCommand({}))],
    ['sts', () => new STSClient(config).send(new GetSessionTokenCommand({}))],
    ['dynamodb', () => new DynamoDBClient(config).send(new ListTablesCommand({}))],
    ['eks', () => new EKSClient(config).send(new DescribeAddonVersionsCommand({}))],
    ['route53', () => new Route53Client(config).send(new ListHostedZonesCommand({}))],
    ['cloudwatch', () => new CloudWatchClient(config).send(new ListMetricsCommand({}))],
  ];
  for (const [service, send] of calls) {
    const call = CALLS.find((c) => c.service === service)!;
    const err = await send().then(() => assert.fail(`${service} ${call.operation} succeeded`), (e: unknown) => e as Error & { $fault?: string; $metadata?: { httpStatusCode?: number; requestId?: string } });
    assert.deepEqual({ name: err.name, message: err.message, fault: err.$fault },
      { name: service === 'ec2' || service === 'sts' ? QUERY : UNKNOWN, message: messageOf(call), fault: 'client' }, `${service} ${call.operation}`);
    assert.match(err.$metadata?.requestId ?? '', /^[0-9a-f-]{36}$/, `${service}: the request id is read`);
  }
});

test('Berth\'s own services still answer; a request with nothing of AWS in it gets a plain 404', async () => {
  const r = await run(AWS_CLIS[0].bin, ['--endpoint-url', berth.endpoint, '--output', 'json', 'ecs', 'list-clusters'], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
  const ecs = await run(AWS_CLIS[0].bin, ['--endpoint-url', berth.endpoint, 'ecs', 'submit-task-state-change', '--cluster', 'default'], { env: awsEnv() });
  assert.match(ecs.stderr, /\(UnknownOperationException\).*is not supported by this endpoint/, 'an ECS operation Berth lacks: the ECS door\'s own answer');
  const registry = await fetch(`${berth.endpoint}/v2/`);
  assert.equal(registry.headers.get('docker-distribution-api-version'), 'registry/2.0', 'the registry still answers /v2/');
  const plain = await fetch(`${berth.endpoint}/nothing-here`);
  assert.equal(plain.status, 404);
  assert.match(await plain.text(), /SigV4/);
});
