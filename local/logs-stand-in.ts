import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, LOOPBACK_HOST, listen, urlHost } from './free-port.js';
import { compileFilterPattern, UnsupportedFilterPattern } from './logs/filter-pattern.js';

/**
 * A CloudWatch Logs stand-in for what the project reads back from its logs: FilterLogEvents (the alarm
 * formatter names the parked events from the fan-out's `Record parked` lines), over the AWS JSON 1.1
 * protocol the SDK's CloudWatchLogsClient speaks (`X-Amz-Target: Logs_20140328.<Operation>`). The local
 * pipeline writes each function's log lines into its log group (the stack's); point clients at it with
 * AWS_ENDPOINT_URL_CLOUDWATCH_LOGS. Any other operation is refused, so nothing passes for supported.
 */

export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
}

export interface LogsStandIn {
  readonly endpoint: string;
  createLogGroup(name: string): void;
  /** One log event, as Lambda ships a line the function wrote. */
  put(logGroupName: string, event: LogEvent): void;
  /** Every operation name requested, in order. */
  readonly requests: string[];
  stop(): Promise<void>;
}

/** Events kept per log group (the oldest go first), so a long local run stays bounded. */
export const MAX_EVENTS_PER_GROUP = 50_000;
/** FilterLogEvents' default and largest page. */
const MAX_LIMIT = 10_000;
const TARGET_PREFIX = 'Logs_20140328.';

interface StoredEvent extends LogEvent {
  readonly eventId: string;
  readonly ingestionTime: number;
}

interface FilterInput {
  logGroupName?: string;
  startTime?: number;
  endTime?: number;
  filterPattern?: string;
  limit?: number;
  nextToken?: string;
}

class LogsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startLogsStandIn(opts: { port?: number } = {}): Promise<LogsStandIn> {
  const groups = new Map<string, StoredEvent[]>();
  const requests: string[] = [];
  let sequence = 0;
  const server = createServer((request, response) => void handle(request, response, groups, requests));
  const port = await listen(server, opts.port ?? 0, LOOPBACK_HOST);
  return {
    endpoint: `http://${urlHost(LOOPBACK_HOST)}:${port}`,
    requests,
    createLogGroup(name) {
      if (!groups.has(name)) groups.set(name, []);
    },
    put(logGroupName, event) {
      const events = groups.get(logGroupName);
      if (events === undefined) throw new Error(`No log group ${logGroupName}`);
      sequence++;
      events.push({ ...event, eventId: String(sequence).padStart(20, '0'), ingestionTime: Date.now() });
      if (events.length > MAX_EVENTS_PER_GROUP) events.splice(0, events.length - MAX_EVENTS_PER_GROUP);
    },
    stop: () => closeServer(server),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  groups: ReadonlyMap<string, StoredEvent[]>,
  requests: string[],
): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
  requests.push(operation);
  try {
    const body = JSON.parse((await readBody(request)) || '{}') as FilterInput;
    if (operation !== 'FilterLogEvents') {
      throw new LogsError('UnknownOperationException', `${operation} is not served by the local stand-in`);
    }
    answer(response, 200, filterLogEvents(groups, body));
  } catch (error) {
    const known = error instanceof LogsError;
    answer(response, known ? 400 : 500, {
      __type: known ? error.type : 'ServiceUnavailableException',
      message: (error as Error).message,
    });
  }
}

function filterLogEvents(groups: ReadonlyMap<string, StoredEvent[]>, input: FilterInput) {
  const events = groups.get(input.logGroupName ?? '');
  if (events === undefined) {
    throw new LogsError('ResourceNotFoundException', 'The specified log group does not exist.');
  }
  let matches: (message: string) => boolean;
  try {
    matches = compileFilterPattern(input.filterPattern);
  } catch (error) {
    if (error instanceof UnsupportedFilterPattern)
      throw new LogsError('InvalidParameterException', error.message);
    throw error;
  }
  const limit = Math.min(input.limit ?? MAX_LIMIT, MAX_LIMIT);
  const after = input.nextToken ?? '';
  const page: StoredEvent[] = [];
  let more = false;
  for (const event of events) {
    if (event.eventId <= after) continue;
    if (input.startTime !== undefined && event.timestamp < input.startTime) continue;
    if (input.endTime !== undefined && event.timestamp > input.endTime) continue;
    if (!matches(event.message)) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(event);
  }
  const last = page.at(-1);
  return {
    events: page.map((event) => ({ logStreamName: 'local', ...event })),
    searchedLogStreams: [],
    ...(more && last ? { nextToken: last.eventId } : {}),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  response.end(JSON.stringify(body));
}
