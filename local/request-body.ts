import type { IncomingMessage } from 'node:http';

/** The body, or undefined when it is over `maxBytes` (the rest is drained, so an answer can still be written). */
export function readRequestBytes(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > maxBytes ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The body as UTF-8; one over `maxBytes` is drained and refused with `tooLarge()`. */
export async function readRequestBody(
  request: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  const body = await readRequestBytes(request, maxBytes);
  if (body === undefined) throw tooLarge();
  return body.toString('utf8');
}
