import { Readable } from 'node:stream';
import { ECSClient } from '@aws-sdk/client-ecs';
import { validateOutput } from '../../src/api/aws/validate-output.ts';
import type { FullModel } from './aws-model.ts';

/** One answer as it came over the wire: the operation and its raw JSON body. */
export interface RecordedAnswer {
  readonly operation: string;
  readonly status: number;
  readonly body: string;
}

/** Answers kept per client: a scripted session makes a few hundred calls at most. */
const MAX_RECORDED = 10_000;

/**
 * An AWS SDK for JavaScript v3 ECS client that keeps the raw body of every answer before
 * the SDK reads it (the SDK itself drops unknown members and coerces types, which would
 * hide exactly what the check looks for).
 */
export function recordingEcsClient(endpoint: string, region = 'us-east-1'): { client: ECSClient; answers: RecordedAnswer[] } {
  const client = new ECSClient({ endpoint, region, credentials: { accessKeyId: 'AKIDBERTHTEST', secretAccessKey: 'berth-test-secret' }, maxAttempts: 1 });
  const answers: RecordedAnswer[] = [];
  client.middlewareStack.add((next, context) => async (args) => {
    const out = await next(args);
    const response = out.response as { statusCode: number; body: AsyncIterable<Buffer> };
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks);
    if (answers.length < MAX_RECORDED) answers.push({ operation: String(context.commandName).replace(/Command$/, ''), status: response.statusCode, body: body.toString('utf8') });
    response.body = Readable.from([body]);
    return out;
  }, { step: 'deserialize', priority: 'low', name: 'recordRawAnswer' });
  return { client, answers };
}

/** Every finding of every successful answer, each prefixed by its operation. */
export function checkAnswers(model: FullModel, answers: readonly RecordedAnswer[]): string[] {
  return answers.filter((a) => a.status === 200).flatMap((a) => {
    const shape = model.operations[a.operation]?.output;
    if (!shape) return [`${a.operation}: the model has no output shape for this operation`];
    return validateOutput(model, shape, JSON.parse(a.body)).map((f) => `${a.operation} ${f}`);
  });
}
