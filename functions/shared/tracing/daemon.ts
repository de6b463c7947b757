import { createSocket, type Socket } from 'node:dgram';
import { independent, type SubsegmentDocument } from './subsegment.js';

const HEADER = '{"format":"json","version":1}\n';
/** The daemon reads datagrams of up to 64 KiB; a larger document is sent in parts. */
const MAX_DOCUMENT_BYTES = 60_000;
const MAX_DATAGRAM_BYTES = 64 * 1024 - HEADER.length;

const DEFAULT_ADDRESS = '127.0.0.1:2000';

export type SendSubsegment = (document: SubsegmentDocument) => void;

/**
 * Sends documents to the X-Ray daemon over UDP, as AWS documents (a JSON header line, then the
 * document). Lambda runs the daemon and names it in AWS_XRAY_DAEMON_ADDRESS (`host:port`, or
 * `tcp:host:port udp:host:port`). A send that fails is dropped: tracing never fails an invocation.
 */
export function daemonSender(
  address = process.env.AWS_XRAY_DAEMON_ADDRESS ?? DEFAULT_ADDRESS,
): SendSubsegment {
  const { host, port } = parseDaemonAddress(address);
  let socket: Socket | undefined;
  return (subsegment) => {
    if (socket === undefined) {
      socket = createSocket('udp4');
      socket.on('error', () => {});
      socket.unref();
    }
    for (const datagram of datagrams(subsegment)) {
      if (Buffer.byteLength(datagram) > MAX_DATAGRAM_BYTES) tooLarge(subsegment);
      else socket.send(HEADER + datagram, port, host, () => {});
    }
  };
}

/**
 * The datagrams of a document: itself, with its calls nested (one datagram per invocation), or, when
 * that is too large for one, each call as a document of its own and then the invocation without them.
 */
export function datagrams(document: SubsegmentDocument): string[] {
  const whole = JSON.stringify(document);
  if (Buffer.byteLength(whole) <= MAX_DOCUMENT_BYTES || document.subsegments === undefined) return [whole];
  const { subsegments, ...alone } = document;
  return [
    ...subsegments.map((call) => JSON.stringify(independent(call, document.trace_id, document.id))),
    JSON.stringify(alone),
  ];
}

let warnedTooLarge = false;
function tooLarge(document: SubsegmentDocument): void {
  if (!warnedTooLarge) console.warn('X-Ray document too large to send', { traceId: document.trace_id });
  warnedTooLarge = true;
}

export function parseDaemonAddress(address: string): { host: string; port: number } {
  const udp = address.split(/\s+/).find((part) => part.startsWith('udp:')) ?? address.split(/\s+/)[0] ?? '';
  const hostPort = udp.replace(/^(udp|tcp):/, '');
  const at = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`AWS_XRAY_DAEMON_ADDRESS is not host:port: ${address}`);
  }
  return { host: hostPort.slice(0, at), port };
}
