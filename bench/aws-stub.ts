import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  listParam,
  mapParam,
  parseQueryParameters,
  type QueryTree,
  stringParam,
  successXml,
  toXml,
} from '../local/sns-query-protocol.js';

/**
 * The benchmark's AWS endpoint, in its own process so that its CPU is not the handlers': answers
 * DynamoDB BatchWriteItem (nothing unprocessed), SNS PublishBatch (every entry successful) and Secrets
 * Manager GetSecretValue as AWS does (same protocols, content types and shapes), and swallows X-Ray
 * segments on a UDP port. While capturing, it keeps each call's input (decoded to the SDK's input shape)
 * for the bare-SDK floor to replay.
 *
 * Prints `{"http": <port>, "xray": <port>}` on stdout once listening. Control: POST /__capture/on,
 * GET /__capture (returns and clears the captured inputs, capture off).
 */

const SECRET = process.env.BENCH_SECRET_STRING ?? '{"current":"bench","previous":""}';
let capturing = false;
let captured: { batchWriteItem: unknown[]; publishBatch: unknown[] } = {
  batchWriteItem: [],
  publishBatch: [],
};

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

function dynamodb(res: ServerResponse, target: string, body: string): void {
  if (target !== 'DynamoDB_20120810.BatchWriteItem') {
    reply(res, 400, 'application/x-amz-json-1.0', JSON.stringify({ __type: 'UnknownOperationException' }));
    return;
  }
  if (capturing) captured.batchWriteItem.push(JSON.parse(body));
  reply(res, 200, 'application/x-amz-json-1.0', '{"UnprocessedItems":{}}');
}

function secretsManager(res: ServerResponse, body: string): void {
  const { SecretId } = JSON.parse(body) as { SecretId: string };
  const answer = {
    ARN: SecretId.startsWith('arn:')
      ? SecretId
      : `arn:aws:secretsmanager:eu-central-1:123456789012:secret:${SecretId}`,
    Name: SecretId,
    SecretString: SECRET,
    VersionId: '00000000-0000-0000-0000-000000000001',
    VersionStages: ['AWSCURRENT'],
    CreatedDate: 1_700_000_000,
  };
  reply(res, 200, 'application/x-amz-json-1.1', JSON.stringify(answer));
}

function publishBatchInput(params: QueryTree): unknown {
  const entries = listParam(params, 'PublishBatchRequestEntries').map((entry) => {
    const tree = entry as QueryTree;
    const attributes = Object.fromEntries(
      mapParam(tree, 'MessageAttributes', 'Name', 'Value').map(([name, value]) => {
        const attribute = value as QueryTree;
        return [
          name,
          {
            DataType: stringParam(attribute, 'DataType'),
            StringValue: stringParam(attribute, 'StringValue'),
          },
        ];
      }),
    );
    return {
      Id: stringParam(tree, 'Id'),
      Message: stringParam(tree, 'Message'),
      MessageAttributes: attributes,
    };
  });
  return { TopicArn: stringParam(params, 'TopicArn'), PublishBatchRequestEntries: entries };
}

function sns(res: ServerResponse, body: string): void {
  const params = parseQueryParameters(new URLSearchParams(body));
  if (stringParam(params, 'Action') !== 'PublishBatch') {
    reply(res, 400, 'text/xml', '<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>');
    return;
  }
  if (capturing) captured.publishBatch.push(publishBatchInput(params));
  const successful = listParam(params, 'PublishBatchRequestEntries').map((entry) => ({
    Id: stringParam(entry as QueryTree, 'Id') ?? '',
    MessageId: randomUUID(),
  }));
  reply(
    res,
    200,
    'text/xml',
    successXml('PublishBatch', toXml({ Successful: successful, Failed: '' }), randomUUID()),
  );
}

function control(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'POST' && req.url === '/__capture/on') {
    capturing = true;
    reply(res, 200, 'application/json', '{}');
    return;
  }
  capturing = false;
  reply(res, 200, 'application/json', JSON.stringify(captured));
  captured = { batchWriteItem: [], publishBatch: [] };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.url?.startsWith('/__capture')) control(req, res);
    else if (target.startsWith('DynamoDB_')) dynamodb(res, target, body);
    else if (target.startsWith('secretsmanager.')) secretsManager(res, body);
    else sns(res, body);
  });
});
server.keepAliveTimeout = 60_000;

const xray = createSocket('udp4');
xray.on('message', () => {});
xray.bind(0, '127.0.0.1', () => {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ http: port, xray: xray.address().port })}\n`);
  });
});
process.on('SIGTERM', () => process.exit(0));
