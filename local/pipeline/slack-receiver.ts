import { createServer } from 'node:http';
import { closeServer, LOOPBACK_HOST, listen } from '../free-port.js';
import { onPort } from './ports.js';

/** One message posted to the local Slack incoming webhook. */
export interface SlackPost {
  readonly receivedAt: string;
  readonly body: { text?: string; blocks?: unknown[] };
}

export interface SlackReceiver {
  /** The incoming-webhook URL the Slack sender reads from its secret. */
  readonly webhookUrl: string;
  readonly posts: SlackPost[];
  onPost(listener: (post: SlackPost) => void): void;
  stop(): Promise<void>;
}

const WEBHOOK_PATH = '/services/LOCAL/SLACK/incoming-webhook';

/**
 * A Slack incoming webhook on the loopback interface: answers `ok` to a JSON POST on its path, as Slack
 * does, and keeps what was posted (the local run prints it as Slack would show it).
 */
export async function startSlackReceiver(port?: number): Promise<SlackReceiver> {
  const posts: SlackPost[] = [];
  const listeners: Array<(post: SlackPost) => void> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== WEBHOOK_PATH) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
        return;
      }
      let body: SlackPost['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackPost['body'];
      } catch {
        response.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        return;
      }
      const post = { receivedAt: new Date().toISOString(), body };
      posts.push(post);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      for (const listener of listeners) listener(post);
    });
  });
  const bound = await onPort(port, 'slack-port', 'the local Slack receiver', (p) =>
    listen(server, p, LOOPBACK_HOST),
  );
  return {
    webhookUrl: `http://${LOOPBACK_HOST}:${bound}${WEBHOOK_PATH}`,
    posts,
    onPost: (listener) => void listeners.push(listener),
    stop: () => closeServer(server),
  };
}
