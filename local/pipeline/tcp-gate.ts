import { connect, createServer, type Socket } from 'node:net';
import { closeServer, LOOPBACK_HOST, listen } from '../free-port.js';

/**
 * A loopback TCP proxy in front of a local service (DynamoDB Local): the handlers and the harness reach the
 * service through it, so the service can be made unreachable, slow, or killed and restarted on another
 * port without anyone's endpoint changing.
 */
export type GateMode =
  | { readonly kind: 'open' }
  /** Every connection is accepted and dropped at once, like a host with nothing healthy behind it. */
  | { readonly kind: 'refuse' }
  /** Each chunk a client sends reaches the service `ms` later (in order). */
  | { readonly kind: 'delay'; readonly ms: number };

export interface TcpGate {
  readonly url: string;
  readonly port: number;
  readonly mode: GateMode;
  /** Sets the mode; leaving `open` cuts every connection through the gate, as a failing host does. */
  setMode(mode: GateMode): void;
  /** Forwards new connections to another port of the same host (a restarted service). */
  retarget(port: number): void;
  /** Cuts every connection through the gate (the service behind it died). */
  cutConnections(): void;
  stop(): Promise<void>;
}

export async function startTcpGate(target: { host?: string; port: number }): Promise<TcpGate> {
  const host = target.host ?? LOOPBACK_HOST;
  let targetPort = target.port;
  let mode: GateMode = { kind: 'open' };
  const open = new Set<Socket>();

  const server = createServer((client) => {
    if (mode.kind === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, host);
    track(client, upstream);
    forward(client, upstream, () => mode);
    upstream.pipe(client);
  });
  const track = (...sockets: Socket[]) => {
    for (const socket of sockets) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {
        for (const other of sockets) other.destroy();
      });
      socket.on('end', () => {
        for (const other of sockets) other.end();
      });
    }
  };
  const cutConnections = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  const port = await listen(server, 0, LOOPBACK_HOST);
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    port,
    get mode() {
      return mode;
    },
    setMode(next) {
      if (next.kind !== 'open' || mode.kind !== 'open') cutConnections();
      mode = next;
    },
    retarget(next) {
      targetPort = next;
    },
    cutConnections,
    async stop() {
      cutConnections();
      await closeServer(server);
    },
  };
}

/** Client -> upstream, each chunk held for the gate's delay (if any) and kept in order. */
function forward(client: Socket, upstream: Socket, modeOf: () => GateMode): void {
  let chain = Promise.resolve();
  client.on('data', (chunk: Buffer) => {
    const mode = modeOf();
    if (mode.kind !== 'delay') {
      chain = chain.then(() => void upstream.write(chunk));
      return;
    }
    client.pause();
    chain = chain
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, mode.ms)))
      .then(() => {
        if (!upstream.destroyed) upstream.write(chunk);
        client.resume();
      });
  });
}
