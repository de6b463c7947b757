import * as v from 'valibot';
import type { ListedAuthentication, RestWebhook, WebhookVerifyResult } from './types.js';

/**
 * Readers for Campaign's responses. Lenient where the contract is silent (extra fields, ids as numeric
 * strings), strict on what the reconcile relies on (id, type, status, targetUrl). Secrets that Campaign
 * might echo (passphrase, password) are never copied into the result.
 */

const Id = v.union([
  v.pipe(v.number(), v.integer()),
  v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number)),
]);

const AuthenticationSchema = v.looseObject({
  type: v.string(),
  key: v.optional(v.string()),
  userName: v.optional(v.string()),
});

const RestWebhookSchema = v.looseObject({
  id: Id,
  type: v.string(),
  status: v.string(),
  format: v.optional(v.nullable(v.string())),
  targetUrl: v.string(),
  authentication: v.optional(v.nullable(AuthenticationSchema)),
  created: v.optional(v.nullable(v.string())),
  modified: v.optional(v.nullable(v.string())),
});

const VerifyResultSchema = v.looseObject({
  id: v.optional(v.nullable(Id)),
  httpStatusCode: v.optional(v.nullable(v.pipe(v.number(), v.integer()))),
  responseBody: v.optional(v.nullable(v.string())),
  numberOfEvents: v.optional(v.nullable(v.pipe(v.number(), v.integer()))),
  targetUrl: v.optional(v.nullable(v.string())),
});

export class ResponseShapeError extends Error {
  override readonly name = 'ResponseShapeError';
}

export function readWebhook(value: unknown): RestWebhook {
  const result = v.safeParse(RestWebhookSchema, value);
  if (!result.success) throw new ResponseShapeError(`not a webhook: ${summarizeIssues(result.issues)}`);
  const raw = result.output;
  return {
    id: raw.id,
    type: raw.type,
    status: raw.status,
    targetUrl: raw.targetUrl,
    ...(raw.format ? { format: raw.format } : {}),
    ...(raw.authentication ? { authentication: listedAuthentication(raw.authentication) } : {}),
    ...(raw.created ? { created: raw.created } : {}),
    ...(raw.modified ? { modified: raw.modified } : {}),
  };
}

export function readWebhookList(value: unknown): RestWebhook[] {
  if (!Array.isArray(value)) throw new ResponseShapeError('the webhook list is not a JSON array');
  return value.map(readWebhook);
}

export function readVerifyResults(value: unknown): WebhookVerifyResult[] {
  // The contract says array; a single object is accepted too rather than failing a deploy over it.
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    const result = v.safeParse(VerifyResultSchema, item);
    if (!result.success) {
      throw new ResponseShapeError(`not a verification result: ${summarizeIssues(result.issues)}`);
    }
    const raw = result.output;
    return {
      ...(raw.id != null ? { id: raw.id } : {}),
      ...(raw.httpStatusCode != null ? { httpStatusCode: raw.httpStatusCode } : {}),
      ...(raw.responseBody != null ? { responseBody: raw.responseBody } : {}),
      ...(raw.numberOfEvents != null ? { numberOfEvents: raw.numberOfEvents } : {}),
      ...(raw.targetUrl != null ? { targetUrl: raw.targetUrl } : {}),
    };
  });
}

function listedAuthentication(raw: v.InferOutput<typeof AuthenticationSchema>): ListedAuthentication {
  return {
    type: raw.type,
    ...(raw.key !== undefined ? { key: raw.key } : {}),
    ...(raw.userName !== undefined ? { userName: raw.userName } : {}),
  };
}

function summarizeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`)
    .join('; ');
}
