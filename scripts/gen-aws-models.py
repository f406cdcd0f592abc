#!/usr/bin/env python3
"""Extracts the request side of an AWS service model from botocore's machine-readable
API description (the AWS API reference in JSON) into src/api/aws/models/<service>.json.

Only facts are kept: each operation's input shape, and for every shape reachable from an
input its type, members, required members, enum values and numeric/length bounds. For the
REST protocols also each operation's route (method, request URI, success status), where
each input member travels (uri label, query string, header) and each error's HTTP status.
Documentation text is dropped. Berth validates requests against this (types, required
members, enums), exactly as the wire format dictates.

usage: scripts/gen-aws-models.py ecs ecr logs eks
"""
import gzip, json, os, sys
import botocore

KEEP = ('type', 'required', 'enum', 'min', 'max', 'timestampFormat')

def load(service):
    base = os.path.join(os.path.dirname(botocore.__file__), 'data', service)
    version = sorted(os.listdir(base))[-1]
    with gzip.open(os.path.join(base, version, 'service-2.json.gz')) as f:
        return json.load(f)

def extract(model):
    shapes, out = model['shapes'], {}
    rest = model['metadata']['protocol'].startswith('rest-')
    def visit(name):
        if name in out:
            return
        s = shapes[name]
        o = {k: s[k] for k in KEEP if k in s}
        out[name] = o
        if s['type'] == 'structure':
            o['members'] = {m: v['shape'] for m, v in s['members'].items()}
            where = {m: [v['location'], v.get('locationName', m)] for m, v in s['members'].items() if 'location' in v}
            if where:
                o['locations'] = where
            for v in s['members'].values():
                visit(v['shape'])
        elif s['type'] == 'list':
            o['member'] = s['member']['shape']
            visit(s['member']['shape'])
        elif s['type'] == 'map':
            o['key'], o['value'] = s['key']['shape'], s['value']['shape']
            visit(s['key']['shape']); visit(s['value']['shape'])
    ops = {}
    for name, op in sorted(model['operations'].items()):
        inp = op.get('input', {}).get('shape')
        ops[name] = {'input': inp} if inp else {}
        if rest:
            http = op['http']
            ops[name]['http'] = {k: http[k] for k in ('method', 'requestUri', 'responseCode') if k in http}
        if inp:
            visit(inp)
    meta = model['metadata']
    result = {
        'metadata': {k: meta[k] for k in ('apiVersion', 'targetPrefix', 'signingName', 'endpointPrefix', 'protocol') if k in meta},
        'operations': ops,
        'shapes': dict(sorted(out.items())),
    }
    if rest:
        result['errors'] = {n: s['error']['httpStatusCode'] for n, s in sorted(shapes.items()) if s.get('exception') and 'httpStatusCode' in s.get('error', {})}
    return result

if __name__ == '__main__':
    here = os.path.dirname(os.path.abspath(__file__))
    for service in sys.argv[1:]:
        path = os.path.join(here, '..', 'src', 'api', 'aws', 'models', service + '.json')
        with open(path, 'w') as f:
            json.dump(extract(load(service)), f, indent=1, sort_keys=False)
            f.write('\n')
        print('wrote', os.path.relpath(path))
