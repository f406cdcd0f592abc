import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eniAttachment, privateDnsName } from './report.ts';

test('private DNS names follow AWS: ec2.internal in us-east-1, <region>.compute.internal elsewhere', () => {
  assert.equal(privateDnsName('10.0.1.23', 'us-east-1'), 'ip-10-0-1-23.ec2.internal');
  assert.equal(privateDnsName('10.0.1.23', 'eu-west-1'), 'ip-10-0-1-23.eu-west-1.compute.internal');
});

test('the ENI attachment has ECS’s shape and detail order', () => {
  assert.deepEqual(eniAttachment({ attachmentId: 'a1', eniId: 'eni-0123456789abcdef0', subnetId: 'subnet-1', macAddress: '02:b5:0a:00:00:02', privateIPv4Address: '10.0.0.2', region: 'us-east-1' }), {
    id: 'a1', type: 'ElasticNetworkInterface', status: 'ATTACHED',
    details: [
      { name: 'subnetId', value: 'subnet-1' },
      { name: 'networkInterfaceId', value: 'eni-0123456789abcdef0' },
      { name: 'macAddress', value: '02:b5:0a:00:00:02' },
      { name: 'privateDnsName', value: 'ip-10-0-0-2.ec2.internal' },
      { name: 'privateIPv4Address', value: '10.0.0.2' },
    ],
  });
});
