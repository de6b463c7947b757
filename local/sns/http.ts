import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRequestBody } from '../request-body.js';
import { errorXml, parseQueryParameters, SnsError, successXml } from '../sns-query-protocol.js';
import type { SnsAction } from './actions.js';
import type { SnsFaults } from './faults.js';

const MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;

export interface RecordedRequest {
  action: string;
  status: number;
  /** The query error code when the request was answered with an error. */
  errorCode?: string;
}

/** The stand-in's HTTP side: a Query protocol request in, its action's XML (or the error) out. */
export function snsRequestHandler(
  actions: Record<string, SnsAction>,
  faults: SnsFaults,
  requests: RecordedRequest[],
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const requestId = randomUUID();
    let action = '(none)';
    const answer = (status: number, body: string, errorCode?: string, contentType = 'text/xml') => {
      requests.push(errorCode === undefined ? { action, status } : { action, status, errorCode });
      res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': requestId });
      res.end(body);
    };
    const answerError = (error: SnsError) =>
      answer(error.status, errorXml(error.type, error.code, error.message, requestId), error.code);
    try {
      if (req.headers['x-amz-target'] !== undefined) {
        action = String(req.headers['x-amz-target']);
        answer(400, UNSUPPORTED_PROTOCOL, 'UnsupportedProtocol', 'application/x-amz-json-1.0');
        return;
      }
      const form = await readForm(req);
      action = form.get('Action') ?? '(none)';
      const injected = faults.nextRequestFailure();
      if (injected) {
        answerError(
          new SnsError(injected.status, injected.code, `Injected failure (failRequests): ${injected.code}`),
        );
        return;
      }
      const handler = actionOf(actions, form, action);
      answer(200, successXml(action, handler(parseQueryParameters(form)), requestId));
    } catch (error) {
      if (error instanceof SnsError) answerError(error);
      else answerError(new SnsError(500, 'InternalError', `Local SNS stand-in failure: ${String(error)}`));
    }
  };
}

const UNSUPPORTED_PROTOCOL = JSON.stringify({
  __type: 'UnsupportedProtocol',
  message: 'The local SNS stand-in speaks the AWS Query protocol only (form-encoded Action=...), not JSON',
});

/** The request's parameters: the query string's, then the form body's. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const body = await readRequestBody(
    req,
    MAX_REQUEST_BODY_BYTES,
    () => new SnsError(413, 'RequestEntityTooLarge', `Request body over ${MAX_REQUEST_BODY_BYTES} bytes`),
  );
  const form = new URLSearchParams(new URL(req.url ?? '/', 'http://stand-in').search);
  for (const [name, value] of new URLSearchParams(body)) form.append(name, value);
  return form;
}

function actionOf(actions: Record<string, SnsAction>, form: URLSearchParams, action: string): SnsAction {
  if (!form.has('Action')) {
    throw new SnsError(400, 'MissingAction', 'Could not find the Action parameter in the request');
  }
  const handler = actions[action];
  if (handler === undefined) {
    throw new SnsError(
      400,
      'InvalidAction',
      `The local SNS stand-in does not implement the action "${action}" (supported: ${Object.keys(actions).join(', ')})`,
    );
  }
  return handler;
}
