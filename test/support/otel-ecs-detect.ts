// Run inside a task (by the checkout's Node, or the probe image's): OpenTelemetry's ECS
// resource detector (@opentelemetry/resource-detector-aws), unchanged, against the task's
// metadata endpoint. Prints the attributes it resolved as one JSON object.
// The detector swallows its own failures (it then resolves nothing): an empty object here
// is the test's failure to report, not this script's.
import { awsEcsDetector } from '@opentelemetry/resource-detector-aws';

const { attributes = {} } = awsEcsDetector.detect();
const resolved: Record<string, unknown> = {};
for (const [name, value] of Object.entries(attributes)) {
  const v = await value;
  if (v !== undefined) resolved[name] = v;
}
process.stdout.write(`${JSON.stringify(resolved)}\n`);
