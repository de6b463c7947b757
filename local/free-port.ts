import { createServer, type Server } from 'node:net';

/** Every local stand-in listens on the loopback interface only. */
export const LOOPBACK_HOST = '127.0.0.1';

/**
 * A port that is free on `host` right now, found by letting the OS pick one (port 0).
 * Only for processes that cannot bind port 0 themselves and report back (DynamoDB Local): another
 * process may take the port between this call and its use, so callers retry on "address in use".
 */
export async function findFreePort(host = LOOPBACK_HOST): Promise<number> {
  const server = createServer();
  await listen(server, 0, host);
  const address = server.address();
  await closeServer(server);
  if (address === null || typeof address === 'string') {
    throw new Error(`Could not determine a free port on ${host}`);
  }
  return address.port;
}

/** True when nothing listens on `port` of `host` (binding it succeeds). */
export async function isPortFree(port: number, host = LOOPBACK_HOST): Promise<boolean> {
  const server = createServer();
  try {
    await listen(server, port, host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw error;
  }
  await closeServer(server);
  return true;
}

/** Binds a server (net or http) and resolves with the port it listens on; rejects on EADDRINUSE etc. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`Server on ${host}:${port} reports no TCP address`));
        return;
      }
      resolve(address.port);
    });
  });
}

/** Closes a server, dropping idle keep-alive connections so the close does not hang. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    const http = server as Server & { closeAllConnections?: () => void };
    http.closeAllConnections?.();
  });
}

/** The URL host part for `host` (IPv6 literals in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
