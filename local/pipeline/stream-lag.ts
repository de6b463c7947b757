import { DynamoDBStreamsClient, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';
import { sendForWireJsonOnly } from '../wire-json.js';

/**
 * The events table's stream as a fan-out far behind it sees it: while a lag is set, every record read
 * appears that much older (its ApproximateCreationDateTime moved back), as if it had waited in the stream
 * that long. A fault (faults.stream.lag): it lets a test reach the stream's 24-hour retention in seconds
 * without touching the stack's settings.
 */
export interface StreamLag {
  /** Records read from now on appear `ms` older; 0 clears it. */
  set(ms: number): void;
  readonly ms: number;
}

export function newStreamLag(): StreamLag {
  let lag = 0;
  return {
    set(ms) {
      if (!(ms >= 0)) throw new Error(`a stream lag must be >= 0 ms, got ${ms}`);
      lag = ms;
    },
    get ms() {
      return lag;
    },
  };
}

type StreamsClient = Pick<DynamoDBStreamsClient, 'send' | 'destroy'>;
type WireRecords = { Records?: Array<{ dynamodb?: { ApproximateCreationDateTime?: number } }> };

/**
 * A Streams client for `endpoint` whose GetRecords answers carry the lag. The stream driver reads
 * GetRecords from the wire (the answer's JSON, see wire-json.ts); this client answers GetRecords in that
 * shape itself, with each ApproximateCreationDateTime (epoch seconds) moved back by the lag.
 */
export function laggingStreamsClient(endpoint: string, region: string, lag: StreamLag): StreamsClient {
  const client = new DynamoDBStreamsClient({ endpoint, region });
  return {
    destroy: () => client.destroy(),
    send: (async (command: Parameters<DynamoDBStreamsClient['send']>[0]) => {
      if (!(command instanceof GetRecordsCommand)) return client.send(command as never);
      const wire = await sendForWireJsonOnly(client, new GetRecordsCommand(command.input));
      for (const record of (wire as WireRecords).Records ?? []) {
        const created = record.dynamodb?.ApproximateCreationDateTime;
        if (record.dynamodb && created !== undefined) {
          record.dynamodb.ApproximateCreationDateTime = created - lag.ms / 1000;
        }
      }
      return wire;
    }) as StreamsClient['send'],
  };
}
