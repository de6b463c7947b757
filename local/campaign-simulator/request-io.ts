import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SimulatorHttpError } from './webhook-store.js';

const MAX_FORM_BYTES = 64 * 1024;

export async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const contentType = request.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    await drain(request);
    throw new SimulatorHttpError(415, 'The body must be application/x-www-form-urlencoded');
  }
  return new URLSearchParams(await readBody(request));
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new SimulatorHttpError(413, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function drain(request: IncomingMessage): Promise<void> {
  for await (const _chunk of request) {
    // discard
  }
}

/** The user a Basic authorization header names, when its password matches (compared in constant time). */
export function basicAuthUser<User extends { readonly username: string; readonly password: string }>(
  request: IncomingMessage,
  users: readonly User[],
): User | undefined {
  const header = request.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return undefined;
  const username = decoded.slice(0, separator);
  const password = decoded.slice(separator + 1);
  return users.find((user) => user.username === username && equalSecrets(user.password, password));
}

function equalSecrets(expected: string, actual: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}
