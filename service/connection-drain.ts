import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ConnectionDrainOptions {
  /**
   * How long a connection with no request in progress stays open once the drain has started,
   * so that its client can send one more request and be told to close. Capped by close()'s timeout.
   */
  readonly idleGraceMs: number;
}

export interface ConnectionDrain {
  /**
   * Stops accepting connections and resolves true once every connection is closed. Resolves false
   * if requests were still running after `timeoutMs`: their connections are then cut.
   */
  close(timeoutMs: number): Promise<boolean>;
}

interface Connection {
  readonly responses: Set<ServerResponse>;
  idleSince: number;
}

/**
 * Lets an HTTP/1.1 server shut down without racing its keep-alive clients.
 *
 * Node's `server.close()`, like Go's `Shutdown`, closes idle keep-alive connections at once. A
 * client may already have written its next request on such a connection: it gets ECONNRESET and
 * cannot tell whether a POST was applied. This happened in CI during a rolling upgrade. Here, as in
 * Envoy's drain, every response sent after the drain starts carries `Connection: close`, so a client
 * that keeps sending is told by the answer itself; only a connection that stays idle for
 * `idleGraceMs` is closed under its client.
 *
 * Call it before the request handler is attached: it has to see every connection and request.
 */
export function trackConnections(server: Server, options: ConnectionDrainOptions): ConnectionDrain {
  const connections = new Map<Socket, Connection>();
  let drainingSince: number | undefined;

  server.on('connection', (socket: Socket) => {
    connections.set(socket, { responses: new Set(), idleSince: performance.now() });
    socket.once('close', () => connections.delete(socket));
  });
  // Prepended, so the header is set before any handler can start the response.
  server.prependListener('request', (request, response: ServerResponse) => {
    const connection = connections.get(request.socket);
    if (connection === undefined) return;
    connection.responses.add(response);
    if (drainingSince !== undefined) response.setHeader('Connection', 'close');
    response.once('close', () => {
      connection.responses.delete(response);
      connection.idleSince = performance.now();
    });
  });

  const closeIdle = (idleForMs: number) => {
    const now = performance.now();
    for (const [socket, connection] of connections) {
      const idleFrom = Math.max(connection.idleSince, drainingSince ?? now);
      if (connection.responses.size === 0 && now - idleFrom >= idleForMs) socket.destroy();
    }
  };

  return {
    async close(timeoutMs) {
      drainingSince = performance.now();
      for (const { responses } of connections.values()) {
        for (const response of responses) if (!response.headersSent) response.setHeader('Connection', 'close');
      }
      // net.Server's close, not http.Server's: the latter closes idle keep-alive connections at once.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      const graceMs = Math.min(options.idleGraceMs, timeoutMs);
      const sweep = setInterval(() => closeIdle(graceMs), Math.max(10, Math.min(100, graceMs)));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([closed.then(() => 'closed' as const), deadline]);
      clearInterval(sweep);
      clearTimeout(timer);
      if (outcome === 'closed') return true;
      // An idle connection closed at the deadline loses nothing; one with a request running does.
      closeIdle(0);
      const cut = [...connections.values()].some(({ responses }) => responses.size > 0);
      for (const socket of connections.keys()) socket.destroy();
      await closed;
      return !cut;
    },
  };
}
