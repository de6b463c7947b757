import { describe, expect, it } from 'vitest';
import { createLambdaContext } from '../../../local/lambda-context.js';

describe('createLambdaContext', () => {
  it('names the function as the Node.js runtime does', () => {
    const context = createLambdaContext({
      functionName: 'fan-out',
      region: 'eu-west-1',
      accountId: '123456789012',
    });
    expect(context).toMatchObject({
      functionName: 'fan-out',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fan-out',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/fan-out',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  });

  it('gives every invocation its own awsRequestId unless one is given', () => {
    const first = createLambdaContext();
    const second = createLambdaContext();
    expect(first.awsRequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second.awsRequestId).not.toBe(first.awsRequestId);
    expect(createLambdaContext({ awsRequestId: 'fixed' }).awsRequestId).toBe('fixed');
  });

  it('counts the remaining time down from the timeout, never below zero', () => {
    let clock = 1_000_000;
    const context = createLambdaContext({ timeoutMs: 3_000, now: () => clock });
    expect(context.getRemainingTimeInMillis()).toBe(3_000);
    clock += 1_250;
    expect(context.getRemainingTimeInMillis()).toBe(1_750);
    clock += 10_000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it('refuses the deprecated callbacks and a non-positive timeout', () => {
    const context = createLambdaContext();
    expect(() => context.succeed('x')).toThrow('not supported locally');
    expect(() => context.fail('x')).toThrow('not supported locally');
    expect(() => context.done()).toThrow('not supported locally');
    expect(() => createLambdaContext({ timeoutMs: 0 })).toThrow('timeoutMs must be a positive number');
  });
});
