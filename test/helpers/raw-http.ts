import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * One TCP connection that writes exactly the bytes it is given, when it is told to: what a
 * pipelining or misbehaving client sends, which no HTTP client library will.
 */
export class RawConnection {
  private received = '';
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (this.received += chunk));
    socket.on('error', () => undefined);
    // Not events.once: it rejects on the 'error' (a reset) that comes before the close.
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number): Promise<RawConnection> {
    // Listeners first: a server that closes the connection at once resets it right after 'connect'.
    const connection = new RawConnection(connect(port, '127.0.0.1'));
    await once(connection.socket, 'connect');
    return connection;
  }

  write(bytes: string): void {
    this.socket.write(bytes, 'latin1');
  }

  /** Resolves once `count` whole responses have arrived (or the connection closed first). */
  async responses(count: number): Promise<RawResponse[]> {
    for (;;) {
      const parsed = parseResponses(this.received);
      if (parsed.length >= count || this.socket.destroyed || this.socket.readableEnded) return parsed;
      // once() rejects on 'error'; a reset ends the wait like a close does.
      await Promise.race([once(this.socket, 'data').catch(() => undefined), this.closed]);
    }
  }

  /** Every response the server sent before it closed the connection. */
  async all(): Promise<RawResponse[]> {
    await this.closed;
    return parseResponses(this.received);
  }

  /** Everything received, as text. */
  text(): string {
    return this.received;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Whole responses with a Content-Length body, in order; a trailing partial one is left out. */
export function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) return responses;
    const [statusLine = '', ...lines] = rest.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    if (rest.length < bodyStart + length) return responses;
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(bodyStart, bodyStart + length) });
    rest = rest.slice(bodyStart + length);
  }
}
