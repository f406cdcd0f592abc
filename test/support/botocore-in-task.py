# Run inside a task whose definition has a taskRoleArn (by the host's Python, bound into the
# task): botocore's own reader of the credentials endpoint, ContainerProvider, as is; then a
# botocore session with no configuration (its default chain ends at the same provider; the
# endpoint and region come from the container's environment) calls sts GetCallerIdentity.
# Prints what it got as one JSON object.
import json

import botocore.session
from botocore.credentials import ContainerProvider

provider = ContainerProvider()
creds = provider.load()
frozen = creds.get_frozen_credentials()
client = botocore.session.get_session().create_client('sts')
print(json.dumps({
    'method': creds.method,
    'accessKey': frozen.access_key,
    'hasSecret': bool(frozen.secret_key),
    'hasToken': bool(frozen.token),
    'expiry': creds._expiry_time.isoformat(),
    'refreshNeeded': creds.refresh_needed(),
    'callerArn': client.get_caller_identity()['Arn'],
}))
