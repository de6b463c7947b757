/** An error answered the way SQS's JSON protocol answers it. */
export class SqsError extends Error {
  constructor(
    readonly status: number,
    /** The shape name (`__type` after `com.amazonaws.sqs#`). */
    readonly type: string,
    /** The query-compatible code the SDK maps back to its exception class. */
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

export const errors = {
  invalidParameter: (message: string) =>
    new SqsError(400, 'InvalidParameterValue', 'InvalidParameterValue', message),
  missingParameter: (name: string) =>
    new SqsError(
      400,
      'MissingParameter',
      'MissingParameter',
      `The request must contain the parameter ${name}.`,
    ),
  queueDoesNotExist: () =>
    new SqsError(
      400,
      'QueueDoesNotExist',
      'AWS.SimpleQueueService.NonExistentQueue',
      'The specified queue does not exist.',
    ),
  receiptHandleIsInvalid: (handle: string) =>
    new SqsError(
      404,
      'ReceiptHandleIsInvalid',
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
    ),
  messageNotInflight: () =>
    new SqsError(
      400,
      'MessageNotInflight',
      'AWS.SimpleQueueService.MessageNotInflight',
      'Message does not exist or is not available for visibility timeout change.',
    ),
  unsupported: (message: string) =>
    new SqsError(400, 'UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', message),
};
