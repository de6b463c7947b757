import { isPortFree, LOOPBACK_HOST } from '../free-port.js';

/** A port given on the command line that something else already listens on. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly option: string,
    what: string,
  ) {
    super(
      `Port ${port} for ${what} is already in use. Pick another with --${option} <port>, ` +
        `or leave --${option} out to use a free loopback port.`,
    );
  }
}

/** Starts a service on `port`, turning "address in use" into a PortInUseError naming the option. */
export async function onPort<T>(
  port: number | undefined,
  option: string,
  what: string,
  start: (port: number) => Promise<T>,
): Promise<T> {
  try {
    return await start(port ?? 0);
  } catch (error) {
    const inUse =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ||
      /already in use|Address already in use/i.test((error as Error).message ?? '');
    if (inUse && port !== undefined && port !== 0) throw new PortInUseError(port, option, what);
    throw error;
  }
}

/** Checks every port given on the command line before anything starts, so a clash is reported at once. */
export async function assertPortsFree(
  ports: ReadonlyArray<{ port: number | undefined; option: string; what: string; host?: string }>,
): Promise<void> {
  for (const { port, option, what, host } of ports) {
    if (port === undefined || port === 0) continue;
    if (!(await isPortFree(port, host ?? LOOPBACK_HOST))) throw new PortInUseError(port, option, what);
  }
}
