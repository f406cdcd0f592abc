/**
 * `session-manager-plugin` as the aws CLI calls it (customizations/ecs/executecommand.py):
 * once with no arguments (is it installed?), then with the session JSON, the region,
 * "StartSession", the profile, the target and the endpoint. The real plugin is not
 * installable here; this stand-in speaks its protocol (ssm-client.ts): it reads all of its
 * stdin, types it into the session, prints the terminal's output, and reports the exit code
 * Berth sent on stderr as `exit code N`. Like the real plugin it exits 0 when the session ends.
 */
import { runSsmSession } from './ssm-client.ts';

const [sessionJson] = process.argv.slice(2);
if (sessionJson === undefined) {
  process.stdout.write('The Session Manager plugin stand-in is installed.\n');
  process.exit(0);
}
const session = JSON.parse(sessionJson) as { sessionId: string; streamUrl: string; tokenValue: string };
const chunks: Buffer[] = [];
process.stdin.on('data', (d: Buffer) => chunks.push(d));
process.stdin.on('end', () => {
  runSsmSession(session.streamUrl, session.tokenValue, Buffer.concat(chunks).toString()).then((r) => {
    process.stdout.write(r.output);
    process.stderr.write(`exit code ${r.exitCode ?? 'none'}\nclosed ${r.closeCode} ${r.closeReason}\n`);
    process.exit(0);
  }, (e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
});
