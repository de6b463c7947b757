import { DynamoDBStreamsClient, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';

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

/** A Streams client for `endpoint` whose GetRecords answers carry the lag. */
export function laggingStreamsClient(endpoint: string, region: string, lag: StreamLag): StreamsClient {
  const client = new DynamoDBStreamsClient({ endpoint, region });
  return {
    destroy: () => client.destroy(),
    send: (async (command: Parameters<DynamoDBStreamsClient['send']>[0]) => {
      const output = await client.send(command as never);
      if (!(command instanceof GetRecordsCommand) || lag.ms === 0) return output;
      const records = (output as { Records?: Array<{ dynamodb?: { ApproximateCreationDateTime?: Date } }> })
        .Records;
      for (const record of records ?? []) {
        const created = record.dynamodb?.ApproximateCreationDateTime;
        if (created !== undefined)
          record.dynamodb = {
            ...record.dynamodb,
            ApproximateCreationDateTime: new Date(created.getTime() - lag.ms),
          };
      }
      return output;
    }) as StreamsClient['send'],
  };
}
