import { AwsCallError, envCredentials, envRegion, jsonClient, type JsonClient } from '../api/aws/client.ts';
import { CliError } from './cli-error.ts';

/** The JSON 1.1 client for `berth` commands: failures become one-line CLI errors. */
export function apiClient(endpoint: string, region = envRegion()): JsonClient {
  const client = jsonClient(endpoint, region, envCredentials());
  return {
    async call<T>(target: string, input: unknown): Promise<T> {
      try {
        return await client.call<T>(target, input);
      } catch (err) {
        if (err instanceof AwsCallError) {
          throw new CliError(err.code === 'Unreachable' ? `${err.message}: start it with 'berth up', or pass --endpoint.` : `${err.code}: ${err.message}`);
        }
        throw err;
      }
    },
  };
}

export type ApiClient = JsonClient;
