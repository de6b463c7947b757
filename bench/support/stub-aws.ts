import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for DynamoDB and S3 that answers at once: BatchWriteItem with nothing unprocessed, PutObject
 * with 200. It reads every request body (the SDK's serialization and signing are what a benchmark counts).
 */
export async function startStubAws(): Promise<{
  url: string;
  requests: () => number;
  stop(): Promise<void>;
}> {
  let requests = 0;
  const server = createServer((request, response) => {
    request.on('data', () => {});
    request.on('end', () => {
      requests++;
      if (request.method === 'PUT') {
        response.writeHead(200, { ETag: '"bench"' }).end();
        return;
      }
      response
        .writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' })
        .end('{"UnprocessedItems":{}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
