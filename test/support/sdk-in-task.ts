// Run inside a task whose definition has a taskRoleArn (by the checkout's Node): the AWS SDK
// for JavaScript v3 as an application uses it, with no configuration at all. Its default
// credential chain finds AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and reads the role's
// credentials from 169.254.170.2 (@aws-sdk/credential-provider-http); the endpoint and the
// region come from the environment the agent gives the container. Prints what it got.
import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const sts = new STSClient({});
const credentials = await sts.config.credentials();
const who = await sts.send(new GetCallerIdentityCommand({}));
const listed = await new ECSClient({}).send(new ListTasksCommand({}));
process.stdout.write(`${JSON.stringify({
  accessKeyId: credentials.accessKeyId,
  expiration: credentials.expiration?.toISOString(),
  callerArn: who.Arn,
  taskArns: listed.taskArns,
})}\n`);
