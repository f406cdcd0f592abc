/**
 * The answer to a request for an AWS service or operation Berth does not implement, in the
 * protocol the client spoke, shaped as AWS shapes its own "no such operation" error so
 * that every SDK parses it into a client error with a code and a message (checked against
 * botocore's parsers.py and the JS SDK's error-code loaders):
 *
 *   query      400 <ErrorResponse xmlns><Error><Type>Sender</Type><Code>InvalidAction</Code>
 *                  <Message/></Error><RequestId/></ErrorResponse>
 *   ec2        400 <Response><Errors><Error><Code>InvalidAction</Code><Message/></Error></Errors>
 *                  <RequestID/></Response>
 *   json       400 X-Amzn-ErrorType, {"__type":"UnknownOperationException","message"}
 *   rest-json  404 X-Amzn-ErrorType, {"message"}: a route no operation has
 *   rest-xml   404 <ErrorResponse xmlns><Error><Type>Sender</Type><Code>UnknownOperationException</Code>…
 *   rpc-v2-cbor 400 smithy-protocol: rpc-v2-cbor, CBOR {"__type","message"}
 */

import { ApiError, type ErrorCode } from '../../core/errors.ts';
import { cborTextMap } from './cbor.ts';
import type { Identified } from './identify.ts';
import { el, xmlDocument } from './xml.ts';

/** What Berth serves today, for the message's "instead". */
const SERVED = 'ECS, ECR, EKS, S3, CloudWatch Logs and STS (GetCallerIdentity, AssumeRole)';

/**
 * A REST request Berth has no route for is answered as AWS's REST services answer a route
 * they do not have: UnknownOperationException 404 (Smithy: a request no protocol handler
 * claims). The RPC protocols answer an unknown operation 400, the catalog's status.
 */
const NO_ROUTE_STATUS = 404;

export interface WireAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | number>>;
  readonly body: string | Uint8Array;
}

/** The one-line message: what is missing and what works instead. */
export function unsupportedMessage(id: Identified): string {
  return `Berth does not implement ${id.serviceName} ${id.operation} yet; it serves ${SERVED} today.`;
}

/** The error answer for `id`, with `requestId` where its protocol puts one. */
export function unsupportedAnswer(id: Identified, requestId: string): WireAnswer {
  const message = unsupportedMessage(id);
  switch (id.protocol) {
    case 'query': {
      const code = new ApiError('InvalidAction', message);
      return xml(code.status, requestId, xmlDocument('ErrorResponse', [
        el('Error', [el('Type', 'Sender'), el('Code', code.code), el('Message', message)]),
        el('RequestId', requestId),
      ], id.service?.xmlNamespace));
    }
    case 'ec2': {
      const code = new ApiError('InvalidAction', message);
      // EC2's error documents carry no namespace, and spell RequestID so.
      return xml(code.status, requestId, xmlDocument('Response', [
        el('Errors', el('Error', [el('Code', code.code), el('Message', message)])),
        el('RequestID', requestId),
      ]));
    }
    case 'json':
      return json(new ApiError('UnknownOperationException', message), requestId, `application/x-amz-json-${id.jsonVersion}`, true);
    case 'rest-json':
      return json(new ApiError('UnknownOperationException', message), requestId, 'application/json', false, NO_ROUTE_STATUS);
    case 'rest-xml':
      return xml(NO_ROUTE_STATUS, requestId, xmlDocument('ErrorResponse', [
        el('Error', [el('Type', 'Sender'), el('Code', 'UnknownOperationException' satisfies ErrorCode), el('Message', message)]),
        el('RequestId', requestId),
      ], id.service?.xmlNamespace));
    case 'smithy-rpc-v2-cbor': {
      const e = new ApiError('UnknownOperationException', message);
      const body = cborTextMap({ __type: e.code, message });
      return { status: e.status, headers: { 'Content-Type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor', 'x-amzn-RequestId': requestId, 'Content-Length': body.length }, body };
    }
  }
}

function xml(status: number, requestId: string, body: string): WireAnswer {
  return { status, headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId, 'Content-Length': Buffer.byteLength(body) }, body };
}

/** `__type` names the code in the RPC protocols; REST-JSON clients read it from the header. */
function json(e: ApiError, requestId: string, contentType: string, withType: boolean, status = e.status): WireAnswer {
  const body = JSON.stringify(withType ? { __type: e.code, message: e.message } : { message: e.message });
  return { status, headers: { 'Content-Type': contentType, 'X-Amzn-ErrorType': e.code, 'x-amzn-RequestId': requestId, 'Content-Length': Buffer.byteLength(body) }, body };
}
