"""Samples one ECS service every INTERVAL seconds through boto3, as a user's script would:
DescribeServices, then ListTasks (desired RUNNING, and desired STOPPED for the tasks still
being stopped) and DescribeTasks. Prints one JSON line per sample on stdout and exits on
SIGTERM after the sample under way.

    python3 service-sampler.py ENDPOINT CLUSTER SERVICE INTERVAL_SECONDS

A task once seen STOPPED is never described again (STOPPED is final), so a sample costs
the same however many tasks the service has stopped; it is reported once, in the sample
that first saw it, with its stop code and reason.
"""
import json
import signal
import sys
import time

import boto3
from botocore.config import Config

endpoint, cluster, service, interval = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
ecs = boto3.client('ecs', endpoint_url=endpoint, config=Config(retries={'max_attempts': 1}))
stopping = False


def on_term(_signum, _frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_term)


def task_arns(desired):
    arns, token = [], None
    while True:
        kw = {'cluster': cluster, 'serviceName': service, 'desiredStatus': desired}
        if token:
            kw['nextToken'] = token
        page = ecs.list_tasks(**kw)
        arns += page['taskArns']
        token = page.get('nextToken')
        if not token:
            return arns


stopped = set()
while not stopping:
    began = time.monotonic()
    try:
        svc = ecs.describe_services(cluster=cluster, services=[service])['services'][0]
        # Both lists, deduplicated: a task moving from one to the other between the two
        # calls is described once, as it is at DescribeTasks time.
        arns = [a for a in dict.fromkeys(task_arns('RUNNING') + task_arns('STOPPED')) if a not in stopped]
        tasks = []
        for i in range(0, len(arns), 100):
            tasks += ecs.describe_tasks(cluster=cluster, tasks=arns[i:i + 100])['tasks']
    except Exception as e:  # a refused call is a gap in the samples, reported as such
        print(json.dumps({'t': time.time() * 1000, 'error': str(e)}), flush=True)
        time.sleep(interval)
        continue
    out = []
    for t in tasks:
        if t['lastStatus'] == 'STOPPED':
            stopped.add(t['taskArn'])
        out.append({
            'arn': t['taskArn'], 'taskDefinitionArn': t['taskDefinitionArn'], 'lastStatus': t['lastStatus'],
            'desiredStatus': t['desiredStatus'], 'healthStatus': t.get('healthStatus', 'UNKNOWN'),
            'startedBy': t.get('startedBy'), 'stopCode': t.get('stopCode'), 'stoppedReason': t.get('stoppedReason'),
            'containerInstanceArn': t.get('containerInstanceArn'),
        })
    print(json.dumps({
        't': time.time() * 1000,
        'service': {
            'status': svc['status'], 'taskDefinition': svc['taskDefinition'], 'desiredCount': svc['desiredCount'],
            'runningCount': svc['runningCount'], 'pendingCount': svc['pendingCount'],
            'deployments': [{k: d.get(k) for k in ('id', 'status', 'taskDefinition', 'desiredCount', 'runningCount', 'pendingCount', 'failedTasks', 'rolloutState', 'rolloutStateReason')} for d in svc['deployments']],
            'events': [e['message'] for e in svc['events'][:10]],
        },
        'tasks': out,
    }), flush=True)
    time.sleep(max(0.0, interval - (time.monotonic() - began)))
