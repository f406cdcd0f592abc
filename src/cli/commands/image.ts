import { ImageStoreError, RegistryClientError } from '../../images/errors.ts';
import { chooseImport, importImage, openImageFile } from '../../images/import.ts';
import { ProgressPrinter } from '../../images/progress.ts';
import type { PushResult } from '../../images/push.ts';
import { InvalidReferenceError } from '../../images/reference.ts';
import type { RegistryCredentials } from '../../images/registry-auth.ts';
import { RegistryClient } from '../../images/registry-client.ts';
import { DEFAULT_DEB_CACHE_DIR, DEFAULT_IMAGES_DIR } from '../../images/samples/build.ts';
import { pushSamples } from '../../images/samples/push-samples.ts';
import { DigestMismatchError, ImageFormatError, TarFormatError } from '../../oci/errors.ts';
import { apiClient, type ApiClient } from '../api-client.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultEndpoint } from '../defaults.ts';
import type { Command } from './command.ts';
import { join } from 'node:path';

const ECR = 'AmazonEC2ContainerRegistry_V20150921';

export const image: Command = {
  help: `Usage: berth image import FILE [--name REPO[:TAG]] [--endpoint URL] [--output json]
       berth image samples [--build-dir DIR] [--endpoint URL] [--output json]

import   Pushes the image in FILE into the running Berth's registry. FILE is an OCI image
         layout directory, an OCI archive tar (skopeo copy ... oci-archive:FILE), or a
         docker-archive tar (docker save, podman save, skopeo ... docker-archive:FILE),
         optionally gzip- or zstd-compressed. The repository is created if missing.
         The name comes from the archive (docker.io/library/nginx:latest is imported as
         library/nginx:latest, which is what 'nginx' in a task definition resolves to);
         --name sets it, and is needed when the archive names only a tag.

samples  Builds Berth's small sample images from this machine's Debian packages and
         pushes them: library/busybox, library/nginx (Debian's nginx), berth/web (busybox
         httpd on port 80), berth/sleep, berth/exit-with and berth/memhog, tag latest.
         A task definition with image "nginx" then runs as written. As root, it installs
         busybox-static if missing and downloads the nginx package (once).

Progress goes to stderr, one line per blob; the pushed reference and digest to stdout.

Options:
  --name REPO[:TAG]  repository and tag to import as (default: from the archive; tag latest)
  --build-dir DIR    where sample images are built and cached (default ${DEFAULT_IMAGES_DIR})
  --endpoint URL     Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)
  --output json      print the result as JSON
`,
  async run(argv) {
    const { values, positionals } = parse('image', argv, {
      name: { type: 'string' }, endpoint: { type: 'string' }, output: { type: 'string' }, 'build-dir': { type: 'string' },
    }, true);
    const [action, file, ...extra] = positionals;
    const endpoint = values.endpoint ?? defaultEndpoint();
    const json = values.output === 'json';
    if (values.output !== undefined && !json) throw new CliError(`--output takes only json, not '${values.output}'. Run 'berth image --help'.`, 2);
    if (action === 'import') {
      if (file === undefined || extra.length > 0) throw new CliError("usage: berth image import FILE [--name REPO[:TAG]]. Run 'berth image --help'.", 2);
      return friendly(() => runImport(endpoint, file, values.name, json));
    }
    if (action === 'samples') {
      if (file !== undefined) throw new CliError("usage: berth image samples [--build-dir DIR]. Run 'berth image --help'.", 2);
      if (values.name !== undefined) throw new CliError("berth image samples takes no --name: the samples have fixed names. Run 'berth image --help'.", 2);
      return friendly(() => runSamples(endpoint, values['build-dir'], json));
    }
    throw new CliError("usage: berth image import FILE | berth image samples. Run 'berth image --help'.", 2);
  },
};

async function runImport(endpoint: string, file: string, name: string | undefined, json: boolean): Promise<number> {
  const source = await openImageFile(file);
  try {
    const host = new URL(endpoint).host;
    const { ref, target } = chooseImport(source, file, name, host);
    const { api, client } = await connect(endpoint);
    await createRepository(api, target.repository);
    const printer = new ProgressPrinter(process.stderr);
    printer.line(`importing ${file} as ${host}/${target.repository}:${target.tag}`);
    const result = await importImage(client, source, ref, target, { onBlob: printer.blob, onProgress: printer.progress });
    report([result], host, json);
    return 0;
  } finally {
    await source.close();
  }
}

async function runSamples(endpoint: string, buildDir: string | undefined, json: boolean): Promise<number> {
  const host = new URL(endpoint).host;
  const { api, client } = await connect(endpoint);
  const printer = new ProgressPrinter(process.stderr);
  const results = await pushSamples(client, {
    buildDir: buildDir ?? DEFAULT_IMAGES_DIR,
    debCacheDir: buildDir === undefined ? DEFAULT_DEB_CACHE_DIR : join(buildDir, '.debs'),
    log: (line) => printer.line(line),
    createRepository: (repository) => createRepository(api, repository),
    onImage: (repository) => printer.line(`pushing ${host}/${repository}:latest`),
    onBlob: printer.blob,
    onProgress: printer.progress,
  });
  report(results, host, json);
  return 0;
}

/** An ECR token from the running Berth (GetAuthorizationToken), and a registry client using it. */
async function connect(endpoint: string): Promise<{ api: ApiClient; client: RegistryClient }> {
  const api = apiClient(endpoint);
  const out = await api.call<{ authorizationData?: { authorizationToken?: string }[] }>(`${ECR}.GetAuthorizationToken`, {});
  const decoded = Buffer.from(out.authorizationData?.[0]?.authorizationToken ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new CliError(`Berth at ${endpoint} answered GetAuthorizationToken without a token; is it a Berth endpoint?`);
  const credentials: RegistryCredentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  const url = new URL(endpoint);
  return { api, client: new RegistryClient(url.host, { credentials, baseUrl: url.origin }) };
}

async function createRepository(api: ApiClient, repositoryName: string): Promise<void> {
  try {
    await api.call(`${ECR}.CreateRepository`, { repositoryName });
  } catch (e) {
    if (e instanceof CliError && e.message.startsWith('RepositoryAlreadyExistsException')) return;
    if (e instanceof CliError) throw new CliError(`cannot create repository ${repositoryName}: ${e.message}`);
    throw e;
  }
}

function report(results: readonly PushResult[], host: string, json: boolean): void {
  if (json) {
    const images = results.map((r) => ({ reference: `${host}/${r.repository}:${r.tag}`, repository: r.repository, tag: r.tag, digest: r.digest, mediaType: r.mediaType, blobs: r.blobs.map((b) => ({ digest: b.descriptor.digest, size: b.descriptor.size, result: b.result })) }));
    process.stdout.write(`${JSON.stringify(images.length === 1 ? images[0] : { images }, null, 2)}\n`);
    return;
  }
  for (const r of results) process.stdout.write(`pushed ${host}/${r.repository}:${r.tag}@${r.digest}\n`);
}

/** Errors of the image library and the OCI reader are the user's to fix: one line each. */
async function friendly(action: () => Promise<number>): Promise<number> {
  try {
    return await action();
  } catch (e) {
    const known = e instanceof RegistryClientError || e instanceof ImageStoreError || e instanceof InvalidReferenceError
      || e instanceof ImageFormatError || e instanceof TarFormatError || e instanceof DigestMismatchError;
    if (known) throw new CliError((e as Error).message);
    throw e;
  }
}
