import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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
   * if requests were still running after `timeoutMs`: their connections are then cut. A request
   * whose body has not fully arrived is not running yet (no route has seen it): its connection is
   * closed at once and does not count as cut.
   */
  close(timeoutMs: number): Promise<boolean>;
}

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

interface Connection {
  /** Requests handed to the handler and not answered yet, in arrival order. */
  readonly pending: Map<ServerResponse, IncomingMessage>;
  idleSince: number;
  /** A pending answer carries `Connection: close`: the connection ends with it. */
  closing: boolean;
}

/**
 * Serves `server`'s requests with `handler` and lets the server shut down without losing an answer.
 *
 * Node's `server.close()`, like Go's `Shutdown`, closes idle keep-alive connections at once. A
 * client may already have written its next request on such a connection: it gets ECONNRESET and
 * cannot tell whether a POST was applied. This happened in CI during a rolling upgrade. Here, as in
 * Envoy's drain, once the drain starts the last answer a connection owes carries `Connection: close`,
 * so a client that keeps sending is told by the answer itself; only a connection that stays idle for
 * `idleGraceMs` is closed under its client.
 *
 * Pipelined requests: every request already handed to the handler gets its own answer (only the last
 * of them says close), and a request that arrives behind an answer that says close is never handed to
 * the handler: it is refused before it can touch Redis, and its client, seeing the connection end
 * without an answer to it, knows it was not processed (RFC 9112, section 9.3.2).
 *
 * Bytes after a request that ends its connection (HTTP/1.0, `Connection: close`) are ignored while
 * that request is answered: Node's default answers them 400 and cuts the connection, so the client
 * would lose the answer to a request it had already had applied.
 */
export function trackConnections(server: Server, handler: RequestHandler, options: ConnectionDrainOptions): ConnectionDrain {
  const connections = new Map<Socket, Connection>();
  let drainingSince: number | undefined;

  server.on('connection', (socket: Socket) => {
    connections.set(socket, { pending: new Map(), idleSince: performance.now(), closing: false });
    socket.once('close', () => connections.delete(socket));
  });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const connection = connections.get(request.socket);
    if (connection !== undefined) {
      if (drainingSince !== undefined) {
        // Behind an answer that says close: refused unseen (the connection ends after that answer).
        if (connection.closing) return;
        connection.closing = true;
        response.setHeader('Connection', 'close');
      }
      const { pending } = connection;
      pending.set(response, request);
      response.once('close', () => {
        pending.delete(response);
        connection.idleSince = performance.now();
      });
    }
    handler(request, response);
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const connection = connections.get(socket);
    if (error.code === 'HPE_CLOSED_CONNECTION' && connection !== undefined && connection.pending.size > 0) return;
    defaultClientError(error, socket);
  });

  const closeIdle = (idleForMs: number) => {
    const now = performance.now();
    for (const [socket, connection] of connections) {
      const idleFrom = Math.max(connection.idleSince, drainingSince ?? now);
      if (connection.pending.size === 0 && now - idleFrom >= idleForMs) socket.destroy();
    }
  };

  return {
    async close(timeoutMs) {
      drainingSince = performance.now();
      for (const [socket, connection] of connections) {
        const requests = [...connection.pending];
        // A request still receiving its body has reached no route: nothing was applied, so it is
        // closed now rather than allowed to hold the shutdown (one slow client must not fail a rollout).
        if (requests.some(([, request]) => !request.complete)) {
          socket.destroy();
          continue;
        }
        const [response] = requests.at(-1) ?? [];
        if (response !== undefined && !response.headersSent) {
          response.setHeader('Connection', 'close');
          connection.closing = true;
        }
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
      const cut = [...connections.values()].some(({ pending }) => pending.size > 0);
      for (const socket of connections.keys()) socket.destroy();
      await closed;
      return !cut;
    },
  };
}

const clientErrorStatus: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/** What Node does without a 'clientError' listener: a bare 400 (or 431/408) when nothing was sent yet, then close. */
function defaultClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  const message = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (socket.writable && (message === undefined || message === null || !message.headersSent)) {
    socket.write(`HTTP/1.1 ${clientErrorStatus[error.code ?? ''] ?? '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy(error);
}
