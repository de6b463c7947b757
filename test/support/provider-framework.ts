import { createRequire, Module } from 'node:module';
import path from 'node:path';

/**
 * What CloudFormation receives when the webhook reconciler throws, built by the installed aws-cdk-lib
 * Provider framework itself: its onEvent handler (custom-resources/lib/provider-framework/runtime) runs
 * with the user function's invoke stubbed and the HTTPS response to CloudFormation captured. An
 * aws-cdk-lib upgrade that changes how the framework builds the response changes what this returns.
 *
 * Only the framework's outbound module (the AWS SDK Lambda and Step Functions clients, and the HTTPS PUT)
 * is replaced, before the framework loads it. What the Lambda Node.js runtime reports for a thrown error
 * (`errorType`, `errorMessage`, `trace`: the stack split into lines) is not in aws-cdk-lib, so it is
 * built here as the runtime builds it.
 */

const require = createRequire(import.meta.url);
const RUNTIME_DIR = path.join(
  path.dirname(require.resolve('aws-cdk-lib/package.json')),
  'custom-resources/lib/provider-framework/runtime',
);

interface LambdaInvokeResult {
  readonly StatusCode: number;
  readonly FunctionError?: string;
  readonly Payload: Uint8Array;
}

/** The framework's outbound calls, as the stubs below see them. */
interface Outbound {
  invokeFunction: (request: { FunctionName: string; Payload: string }) => Promise<LambdaInvokeResult>;
  startExecution: (request: unknown) => Promise<unknown>;
  httpRequest: (options: Record<string, unknown>, body: string) => Promise<void>;
}

const unexpected = (what: string) => () => Promise.reject(new Error(`unexpected framework call: ${what}`));

interface Framework {
  readonly onEvent: (event: Record<string, unknown>) => Promise<void>;
  /** The stubbed outbound module the framework calls (shared by every importer in this process). */
  readonly outbound: Outbound;
}

function loadFramework(): Framework {
  const outboundPath = require.resolve(path.join(RUNTIME_DIR, 'outbound.js'));
  // Node's module cache outlives this module when a worker runs several test files: stub it once.
  let stub = require.cache[outboundPath];
  if (stub === undefined) {
    stub = new Module(outboundPath);
    stub.filename = outboundPath;
    stub.loaded = true;
    stub.exports = {
      invokeFunction: unexpected('invokeFunction'),
      startExecution: unexpected('startExecution'),
      httpRequest: unexpected('httpRequest'),
    } satisfies Outbound;
    require.cache[outboundPath] = stub;
  }
  const { onEvent } = require(path.join(RUNTIME_DIR, 'framework.js')) as Pick<Framework, 'onEvent'>;
  return { onEvent, outbound: stub.exports as Outbound };
}

const ON_EVENT_FUNCTION_ARN =
  'arn:aws:lambda:eu-central-1:123456789012:function:CampaignEvents-WebhookRegistrationOnEventFunc-AbCdEfGhIjKl';

/** A Create request for a webhook registration, with realistic lengths for every echoed field. */
const CREATE_REQUEST = {
  RequestType: 'Create',
  ServiceToken:
    'arn:aws:lambda:eu-central-1:123456789012:function:CampaignEvents-WebhookRegistrationProviderframew-AbCdEfGhIjKl',
  ResponseURL:
    'https://cloudformation-custom-resource-response-eucentral1.s3.eu-central-1.amazonaws.com/arn%3Aaws%3Acloudformation%3Aeu-central-1%3A123456789012%3Astack/CampaignEvents/5b1c2d3e-0000-11ef-9a3b-0a1b2c3d4e5f%7CWebhookRegistrationClient100001A1B2C3D4%7C0f6b2e55-6a5c-4b5e-9d43-1f2e3d4c5b6a?X-Amz-Signature=0123456789abcdef',
  StackId:
    'arn:aws:cloudformation:eu-central-1:123456789012:stack/CampaignEvents/5b1c2d3e-0000-11ef-9a3b-0a1b2c3d4e5f',
  RequestId: '0f6b2e55-6a5c-4b5e-9d43-1f2e3d4c5b6a',
  LogicalResourceId: 'WebhookRegistrationClient100001A1B2C3D4',
  ResourceType: 'Custom::CampaignWebhooks',
  ResourceProperties: { clientId: '100001' },
};

/** What the Lambda Node.js runtime returns to an invoker when the handler throws `error`. */
function lambdaErrorPayload(error: Error): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    }),
  );
}

/**
 * The body the installed Provider framework PUTs to CloudFormation when the user onEvent function (the
 * reconciler) fails a Create with `error`.
 */
export async function providerFrameworkResponse(error: Error): Promise<string> {
  const { onEvent, outbound } = loadFramework();
  const bodies: string[] = [];
  outbound.invokeFunction = async () => ({
    StatusCode: 200,
    FunctionError: 'Unhandled',
    Payload: lambdaErrorPayload(error),
  });
  outbound.httpRequest = async (_options, body) => {
    bodies.push(body);
  };
  const savedArn = process.env.USER_ON_EVENT_FUNCTION_ARN;
  const savedLog = console.log;
  process.env.USER_ON_EVENT_FUNCTION_ARN = ON_EVENT_FUNCTION_ARN;
  console.log = () => {}; // the framework logs every request and response
  try {
    await onEvent(structuredClone(CREATE_REQUEST));
  } finally {
    console.log = savedLog;
    if (savedArn === undefined) delete process.env.USER_ON_EVENT_FUNCTION_ARN;
    else process.env.USER_ON_EVENT_FUNCTION_ARN = savedArn;
    outbound.invokeFunction = unexpected('invokeFunction');
    outbound.httpRequest = unexpected('httpRequest');
  }
  const [body] = bodies;
  if (bodies.length !== 1 || body === undefined) {
    throw new Error(`expected one response to CloudFormation, the framework sent ${bodies.length}`);
  }
  return body;
}
