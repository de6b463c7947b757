import type { DynamoDBRecord } from 'aws-lambda';
import { lambdaStreamRecord, type StreamRecordEnvelope } from './stream/lambda-record.js';

/**
 * DynamoDB and DynamoDB Streams answers as the service sent them (the JSON on the wire), for the harness's
 * reads of stored events. The SDK's deserializer (@smithy/core 3.41's in-place map read) drops the value
 * of a map member named `__proto__`, a field name Campaign may send and the ingest stores; the wire JSON,
 * parsed by JSON.parse (which keeps `__proto__` as an own member), is exactly what Lambda hands a stream
 * consumer and what the table holds.
 */

type Handler = (args: unknown) => Promise<{ response: unknown }>;
interface DeserializeStack {
  add(
    middleware: (next: Handler) => Handler,
    options: { step: 'deserialize'; priority: 'low'; name: string },
  ): void;
}

/** Sends `command` and resolves to the SDK's output and the answer's JSON as sent. */
export async function sendForWireJson<Output>(
  client: { send(command: never): Promise<Output> },
  command: { readonly middlewareStack: object },
): Promise<{ output: Output; wire: unknown }> {
  return send(client, command, false);
}

/**
 * Sends `command` and resolves to the answer's JSON as sent, without the SDK reading a successful answer
 * (it reads an error's, to throw the service's exception): for callers that use the wire JSON only,
 * such as the stream driver's GetRecords, where reading every record twice would cost as much again.
 */
export async function sendForWireJsonOnly(
  client: { send(command: never): Promise<unknown> },
  command: { readonly middlewareStack: object },
): Promise<unknown> {
  return (await send(client, command, true)).wire;
}

async function send<Output>(
  client: { send(command: never): Promise<Output> },
  command: { readonly middlewareStack: object },
  wireOnly: boolean,
): Promise<{ output: Output; wire: unknown }> {
  let text: string | undefined;
  // Inside the deserializer (low priority in its step): sees the raw answer before the SDK reads it.
  (command.middlewareStack as DeserializeStack).add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { body?: unknown; statusCode?: number };
      const bytes = await collect(response.body);
      text = new TextDecoder().decode(bytes);
      const success = response.statusCode !== undefined && response.statusCode < 300;
      // The SDK's deserializer takes a byte array as a body it has already read.
      response.body = wireOnly && success ? EMPTY_OBJECT : bytes;
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'keepWireJson' },
  );
  const output = await client.send(command as never);
  // A client that answers without HTTP (a test's stand-in) answers in the wire's shape already.
  if (text === undefined) return { output, wire: output };
  return { output, wire: text === '' ? {} : JSON.parse(text) };
}

const EMPTY_OBJECT = new TextEncoder().encode('{}');

async function collect(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (body === undefined || body === null) return new Uint8Array();
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

interface WireStreamRecord extends StreamRecordEnvelope {
  readonly dynamodb?: Record<string, unknown> & { ApproximateCreationDateTime?: number };
}

/**
 * A GetRecords record as it came over the wire, as Lambda hands it to the function: the same DynamoDB JSON
 * (binaries already base64), epoch-second creation time, the region and stream ARN filled in. DynamoDB
 * Local's stream writes an empty map as `{}` (DynamoDB writes `{"M":{}}`, and no other attribute value can
 * be empty): those are restored.
 */
export function lambdaRecordFromWire(
  record: WireStreamRecord,
  streamArn: string,
  region: string,
): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...image } = record.dynamodb ?? {};
  for (const name of ['Keys', 'NewImage', 'OldImage']) restoreEmptyMaps(image[name]);
  const dynamodb = {
    ...(ApproximateCreationDateTime === undefined
      ? {}
      : { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime) }),
    ...image,
  };
  return lambdaStreamRecord(record, dynamodb, streamArn, region);
}

type WireValue = { M?: Record<string, WireValue>; L?: WireValue[] } & Record<string, unknown>;

function restoreEmptyMaps(image: unknown): void {
  if (image === undefined || image === null) return;
  const stack: WireValue[] = [{ M: image as Record<string, WireValue> }];
  for (let value = stack.pop(); value !== undefined; value = stack.pop()) {
    const members = value.M !== undefined ? Object.values(value.M) : (value.L ?? []);
    for (const member of members) {
      if (Object.keys(member).length === 0) member.M = {};
      else stack.push(member);
    }
  }
}
