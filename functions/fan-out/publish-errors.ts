/**
 * Which SNS publish failures are the message's own fault (it can never be published as it is: park it)
 * and which are the moment's (throttling, SNS or KMS unavailable, a topic or key misconfigured: wait and
 * retry, in order). The codes are those of PublishBatch's `Failed[].Code` and its errors
 * (https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html#API_PublishBatch_Errors,
 * https://docs.aws.amazon.com/sns/latest/api/API_BatchResultErrorEntry.html), with the SDK's
 * `…Exception` names of the same errors.
 *
 * `SenderFault` alone does not decide: AuthorizationError, NotFound and the KMS errors are sender faults
 * too, but they fail every message alike and a deploy fixes them for all at once; parking each event
 * would turn one configuration mistake into a replay for a person. Only what is wrong with this one
 * message is permanent. An unknown code is transient: waiting keeps every event in order and loses none,
 * and the iterator-age alarm tells on-call; a wrong park would need a person.
 */
export type FailureKind = 'permanent' | 'transient';

/** Codes that say this message (its body or attributes) is invalid. */
const MESSAGE_FAULT_CODES = new Set([
  'InvalidParameter',
  'InvalidParameterValue',
  'ValidationError',
  'ValidationException',
  // The publisher's own code for a message larger than PublishBatch accepts (never sent).
  'MessageTooLarge',
]);

export function publishFailureKind(code: string): FailureKind {
  const name = code.replace(/Exception$/, '');
  return MESSAGE_FAULT_CODES.has(name) || MESSAGE_FAULT_CODES.has(code) ? 'permanent' : 'transient';
}
