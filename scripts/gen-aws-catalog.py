#!/usr/bin/env python3
"""Writes src/api/aws/models/services.json: the wire facts of every AWS service botocore
knows (the newest API version of each), so Berth can answer a request for any of them in
its own protocol without Python at run time.

Per service (keyed by botocore's name, which is also the aws CLI's command: ec2, elbv2, …):
  signingName   the service in a SigV4 credential scope (signingName, else endpointPrefix)
  protocols     the protocols the model offers, preferred first (clients pick the first they speak)
  apiVersion    the Query protocol's Version= (and the tie-breaker between services signed alike)
  targetPrefix  JSON protocols: X-Amz-Target's part before the dot (also the rpc-v2-cbor service name)
  jsonVersion   JSON protocols: 1.0 or 1.1 (the Content-Type of an answer)
  xmlNamespace  XML protocols: the namespace an error document carries
  routes        REST protocols, for the services in ROUTED only: "METHOD requestUri Operation"
  pathPrefixes  REST protocols, for the other services that share their signing name with another
                REST service: the first two literal path segments of their routes that no other
                such service has, which tell them apart ("/v2/email" is SES v2, not Pinpoint Email)
Documentation and shapes are dropped: a request for a service Berth does not implement is
answered with an error, never validated.

usage: scripts/gen-aws-catalog.py
"""
import gzip, json, os
import botocore

# REST services whose routes are kept, so an answer can name the operation (the routes of
# all ~250 REST services would be 630 KB): the ones Berth will serve (EKS), those beside a
# container platform (Lambda, EFS) and the REST-XML ones besides S3.
ROUTED = ('eks', 'lambda', 'efs', 'route53', 'cloudfront')


def newest_models(data):
    for service in sorted(os.listdir(data)):
        base = os.path.join(data, service)
        if not os.path.isdir(base):
            continue
        versions = sorted(v for v in os.listdir(base) if os.path.exists(os.path.join(base, v, 'service-2.json.gz')))
        if versions:
            with gzip.open(os.path.join(base, versions[-1], 'service-2.json.gz')) as f:
                yield service, json.load(f)


def facts(service, model):
    meta = model['metadata']
    protocols = meta.get('protocols') or [meta['protocol']]
    out = {
        'signingName': meta.get('signingName') or meta['endpointPrefix'],
        'protocols': protocols,
        'apiVersion': meta['apiVersion'],
    }
    if 'targetPrefix' in meta:
        out['targetPrefix'] = meta['targetPrefix']
        out['jsonVersion'] = meta.get('jsonVersion', '1.0')
    namespace = meta.get('xmlNamespace')
    if namespace is None and 'rest-xml' in protocols:
        # REST-XML models name it on each operation's input; a service uses one.
        namespace = next((op['input']['xmlNamespace']['uri'] for op in model['operations'].values()
                          if 'xmlNamespace' in op.get('input', {})), None)
    if namespace is not None:
        out['xmlNamespace'] = namespace
    if service in ROUTED and protocols[0].startswith('rest-'):
        out['routes'] = [f"{op['http']['method']} {op['http']['requestUri']} {name}"
                         for name, op in sorted(model['operations'].items())]
    return out


def path_prefix(request_uri):
    literal = []
    for segment in request_uri.split('?')[0].split('/')[1:3]:
        if not segment or '{' in segment:
            break
        literal.append(segment)
    return '/' + '/'.join(literal) if literal else None


def add_path_prefixes(catalog, models):
    groups = {}
    for name, entry in catalog.items():
        if entry['protocols'][0].startswith('rest-'):
            groups.setdefault(entry['signingName'], []).append(name)
    for names in groups.values():
        if len(names) < 2:
            continue
        prefixes = {n: {path_prefix(op['http']['requestUri']) for op in models[n]['operations'].values()} - {None} for n in names}
        for n in names:
            if 'routes' in catalog[n]:
                continue
            others = set().union(*(prefixes[o] for o in names if o != n))
            own = sorted(prefixes[n] - others)
            if own:
                catalog[n]['pathPrefixes'] = own


if __name__ == '__main__':
    data = os.path.join(os.path.dirname(botocore.__file__), 'data')
    models = dict(newest_models(data))
    catalog = {service: facts(service, model) for service, model in models.items()}
    add_path_prefixes(catalog, models)
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, '..', 'src', 'api', 'aws', 'models', 'services.json')
    # One service a line: a regenerated catalog diffs by service.
    lines = [f'{json.dumps(name)}:{json.dumps(entry, separators=(",", ":"))}' for name, entry in catalog.items()]
    with open(path, 'w') as f:
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')
    print('wrote', os.path.relpath(path), f'({len(catalog)} services, botocore {botocore.__version__})')
