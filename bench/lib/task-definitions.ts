/**
 * Realistic RegisterTaskDefinition requests: a Fargate web service with an application
 * container and a log-router sidecar, the shape of what teams register from CI (ports,
 * environment, secrets, logging, health check, ulimits, labels). About 1.5 KB of JSON.
 * Deterministic: the same family and variant give the same request.
 */

/** What the benchmark's families are called: `<prefix>-<0000 index>`. */
export function familyName(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(4, '0')}`;
}

/** Container images a CI pipeline pushes: a registry host, a repository, a tag. */
const IMAGES = ['api', 'web', 'worker', 'billing', 'search', 'auth', 'notifier', 'ingest'];
/** Fargate sizes in use (cpu units, MiB), all valid combinations. */
const SIZES: readonly [number, number][] = [[256, 512], [512, 1024], [1024, 2048], [2048, 4096]];

export function registerInput(family: string, variant: number): Record<string, unknown> {
  const app = IMAGES[variant % IMAGES.length]!;
  const [cpu, memory] = SIZES[variant % SIZES.length]!;
  const port = 8000 + (variant % 100);
  return {
    family,
    taskRoleArn: `arn:aws:iam::000000000000:role/${family}-task`,
    executionRoleArn: 'arn:aws:iam::000000000000:role/ecsTaskExecutionRole',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: String(cpu),
    memory: String(memory),
    runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
    containerDefinitions: [
      {
        name: app,
        image: `000000000000.dkr.ecr.us-east-1.amazonaws.com/${app}:v1.${variant}.0`,
        cpu: cpu - 64,
        memory: memory - 128,
        memoryReservation: Math.floor(memory / 2),
        essential: true,
        portMappings: [{ containerPort: port, protocol: 'tcp', name: `${app}-http`, appProtocol: 'http' }],
        environment: [
          { name: 'NODE_ENV', value: 'production' },
          { name: 'PORT', value: String(port) },
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'SERVICE_NAME', value: family },
          { name: 'DB_HOST', value: `${app}.cluster-abc123.us-east-1.rds.amazonaws.com` },
          { name: 'CACHE_URL', value: 'redis://cache.internal:6379/0' },
          { name: 'FEATURE_FLAGS', value: `checkout-v2,search-ranking,build-${variant}` },
        ],
        secrets: [
          { name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${app}/db-AbCdEf` },
          { name: 'API_KEY', valueFrom: `arn:aws:ssm:us-east-1:000000000000:parameter/${app}/api-key` },
        ],
        healthCheck: { command: ['CMD-SHELL', `curl -fsS http://localhost:${port}/health || exit 1`], interval: 15, timeout: 5, retries: 3, startPeriod: 30 },
        logConfiguration: {
          logDriver: 'awsfirelens',
          options: { Name: 'cloudwatch_logs', region: 'us-east-1', log_group_name: `/ecs/${family}`, log_stream_prefix: app, auto_create_group: 'true' },
        },
        ulimits: [{ name: 'nofile', softLimit: 65536, hardLimit: 65536 }],
        dockerLabels: { team: 'platform', 'com.example.service': family, 'com.example.build': String(variant) },
        dependsOn: [{ containerName: 'log-router', condition: 'START' }],
        stopTimeout: 30,
        readonlyRootFilesystem: true,
      },
      {
        name: 'log-router',
        image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0',
        cpu: 64,
        memoryReservation: 64,
        essential: true,
        firelensConfiguration: { type: 'fluentbit', options: { 'enable-ecs-log-metadata': 'true' } },
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/firelens', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': family } },
        user: '0',
      },
    ],
    tags: [{ key: 'team', value: 'platform' }, { key: 'cost-center', value: `cc-${variant % 10}` }],
  };
}
