import type {
  HandlerExecutionContext,
  MetadataBearer,
  MiddlewareStack,
  ResponseMetadata,
} from '@smithy/types';
import { flagByStatus, recordError, type Subsegment } from './subsegment.js';
import type { Tracer } from './tracer.js';

/** The part of an AWS SDK v3 client this needs. */
interface SdkClient<Input extends object, Output extends MetadataBearer> {
  readonly config: { readonly region?: unknown };
  readonly middlewareStack: MiddlewareStack<Input, Output>;
}

const MIDDLEWARE_NAME = 'projectXRayTracing';

/**
 * Traces every call of an AWS SDK v3 client as a subsegment named by its service (`DynamoDB`, `SNS`, …,
 * namespace `aws`, so X-Ray's service map draws it), with the operation, the resource it names, the
 * request id, the retries, the HTTP status and the throttle/error/fault flags; the trace header goes
 * with the request. At the build step, so one subsegment covers every attempt of the call.
 */
export function traced<
  Input extends object,
  Output extends MetadataBearer,
  Client extends SdkClient<Input, Output>,
>(tracer: Tracer, client: Client): Client {
  let region: string | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call = tracer.startCall(serviceName(context));
      if (call === undefined) return next(args);
      const { subsegment } = call;
      subsegment.namespace = 'aws';
      setHeader(args.request, call.traceHeader);
      try {
        region ??= await regionOf(client);
        const result = await next(args);
        describeCall(subsegment, context, args.input, region, result.output.$metadata);
        return result;
      } catch (error) {
        const metadata = metadataOf(error);
        describeCall(subsegment, context, args.input, region, metadata);
        if (isThrottling(error)) subsegment.throttle = true;
        recordError(subsegment, error, { remote: metadata !== undefined });
        throw error;
      } finally {
        call.end();
      }
    },
    { step: 'build', name: MIDDLEWARE_NAME, override: true },
  );
  return client;
}

function describeCall(
  subsegment: Subsegment,
  context: HandlerExecutionContext,
  input: object,
  region: string | undefined,
  metadata: ResponseMetadata | undefined,
): void {
  subsegment.aws = {
    operation: (context.commandName ?? '').replace(/Command$/, ''),
    ...(region === undefined ? {} : { region }),
    ...(metadata?.requestId === undefined ? {} : { request_id: metadata.requestId }),
    ...(metadata?.attempts === undefined ? {} : { retries: metadata.attempts - 1 }),
    ...resourceOf(input),
  };
  if (metadata?.httpStatusCode !== undefined) {
    subsegment.http = { response: { status: metadata.httpStatusCode } };
    flagByStatus(subsegment, metadata.httpStatusCode);
  }
}

/** The resource a call names, under the keys X-Ray's console shows for AWS calls. */
function resourceOf(call: object): Record<string, unknown> {
  const input = call as Record<string, unknown>;
  if (typeof input.TableName === 'string') return { table_name: input.TableName };
  if (isObject(input.RequestItems)) return { table_names: Object.keys(input.RequestItems) };
  if (typeof input.TopicArn === 'string') return { topic_arn: input.TopicArn };
  if (typeof input.QueueUrl === 'string') return { queue_url: input.QueueUrl };
  if (typeof input.Bucket === 'string') return { bucket_name: input.Bucket };
  return {};
}

const serviceName = (context: HandlerExecutionContext): string =>
  (context.clientName ?? 'AWS').replace(/Client$/, '');

function setHeader(request: unknown, value: string): void {
  if (isObject(request) && isObject(request.headers)) request.headers['X-Amzn-Trace-Id'] = value;
}

async function regionOf(client: {
  readonly config: { readonly region?: unknown };
}): Promise<string | undefined> {
  const region = client.config.region;
  const value = typeof region === 'function' ? await region() : region;
  return typeof value === 'string' ? value : undefined;
}

function metadataOf(value: unknown): ResponseMetadata | undefined {
  return isObject(value) && isObject(value.$metadata) ? (value.$metadata as ResponseMetadata) : undefined;
}

function isThrottling(error: unknown): boolean {
  if (!isObject(error)) return false;
  const retryable = error.$retryable;
  if (isObject(retryable) && retryable.throttling === true) return true;
  return /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|TooManyRequests|SlowDown/.test(
    String(error.name),
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
