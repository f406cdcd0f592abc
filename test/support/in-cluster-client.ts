// Run inside a pod (by the checkout's Node, bound in read-only): what an in-cluster client
// gets with nothing configured but what the kubelet gives every pod. Prints one JSON line.
//   api    @kubernetes/client-node's loadFromCluster (KUBERNETES_SERVICE_HOST/PORT, the
//          projected token, ca.crt and namespace), then list the namespace's pods: the
//          status code, and the pods' names or the API server's Status
//   https  GET https://kubernetes.default.svc/api/v1/namespaces/<ns>/pods by name, with the
//          token and ca.crt read by hand (the name resolved by the cluster DNS and checked
//          against the serving certificate)
//   http   GET each URL given (Services by their DNS names): status and body
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';
const [mode, ...rest] = process.argv.slice(2);
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

if (mode === 'api') {
  const kc = new KubeConfig();
  kc.loadFromCluster();
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  try {
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
    out({ server: kc.getCurrentCluster()?.server, namespace, code: 200, names: list.items.map((p) => p.metadata?.name) });
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    out({ server: kc.getCurrentCluster()?.server, namespace, code: e.code, body: typeof e.body === 'string' ? JSON.parse(e.body) as unknown : e.body });
  }
} else if (mode === 'https') {
  const namespace = readFileSync(`${SA}/namespace`, 'utf8');
  const answer = await new Promise<{ code: number; body: unknown }>((resolve, reject) => {
    request(`https://kubernetes.default.svc/api/v1/namespaces/${namespace}/pods`, {
      ca: readFileSync(`${SA}/ca.crt`), headers: { Authorization: `Bearer ${readFileSync(`${SA}/token`, 'utf8')}` },
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += String(c)));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    }).on('error', reject).end();
  });
  out(answer);
} else if (mode === 'http') {
  const answers = [];
  for (const url of rest) {
    const res = await fetch(url, { headers: { connection: 'close' } });
    answers.push({ url, code: res.status, body: (await res.text()).trim() });
  }
  out(answers);
} else {
  throw new Error(`unknown mode ${mode}: api, https or http`);
}
