/**
 * What CloudFormation receives when the webhook reconciler throws, built the way the Lambda Node.js runtime
 * and the aws-cdk-lib Provider framework build it: the runtime reports `errorMessage` and `trace` (the stack
 * split into lines); the framework's onEvent throws an error whose message is the error message plus a
 * "Logs:" line, and whose stack is that message followed by all but the first trace line; its response to
 * CloudFormation carries that stack as the Reason (node_modules/aws-cdk-lib/custom-resources/lib/
 * provider-framework/runtime/framework.js and cfn-response.js).
 */
export function providerFrameworkResponse(
  error: Error,
  functionName = 'CampaignEvents-WebhookRegistrationOnEventFunc-AbCdEfGhIjKl',
): string {
  const trace = (error.stack ?? '').split('\n');
  const message = [error.message, '', `Logs: /aws/lambda/${functionName}`, ''].join('\n');
  const reason = [message, ...trace.slice(1)].join('\n');
  return JSON.stringify({
    Status: 'FAILED',
    Reason: reason,
    StackId:
      'arn:aws:cloudformation:eu-central-1:123456789012:stack/CampaignEvents/5b1c2d3e-0000-11ef-9a3b-0a1b2c3d4e5f',
    RequestId: '0f6b2e55-6a5c-4b5e-9d43-1f2e3d4c5b6a',
    PhysicalResourceId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED',
    LogicalResourceId: 'WebhookRegistrationClient100001A1B2C3D4',
    NoEcho: false,
  });
}
