import { flagByStatus, recordError } from './subsegment.js';
import type { Tracer } from './tracer.js';

/**
 * A fetch whose calls are traced as subsegments named by the host (namespace `remote`: a service
 * outside AWS, such as Campaign's REST API), with the method, the URL without its query and the status.
 * No trace header is sent to a third party.
 */
export function traceFetch(tracer: Tracer, fetchImpl: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const call = tracer.startCall(url.hostname);
    if (call === undefined) return fetchImpl(input, init);
    const { subsegment } = call;
    subsegment.namespace = 'remote';
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    subsegment.http = { request: { method, url: `${url.origin}${url.pathname}` } };
    try {
      const response = await fetchImpl(input, init);
      subsegment.http.response = { status: response.status };
      flagByStatus(subsegment, response.status);
      return response;
    } catch (error) {
      // A network failure, abort or timeout: not an answer of the service; its message may quote the URL.
      recordError(subsegment, error, { withMessage: false });
      throw error;
    } finally {
      call.end();
    }
  };
}
