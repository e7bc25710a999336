import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { spawnService, type ServiceProcess } from './service-process.js';
import { directClient } from './app-server.js';

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

/** What each test of a describe that calls rawFixture() gets afresh. */
export interface RawFixture {
  /** A private redis-server, without persistence. */
  readonly redis: RedisServer;
  /** A client of the test's own on `redis`, for reading what the service wrote. */
  readonly direct: Redis;
  /** dist/server.js on `redis`, with `env` on top of REDIS_URL; SIGKILLed after the test. */
  start(env?: Record<string, string>): Promise<ServiceProcess>;
  /** A raw connection to `port`, destroyed after the test. */
  open(port: number): Promise<RawConnection>;
}

/**
 * Registers hooks in the calling describe: before each test, a private Redis and a client on it;
 * after it, every connection, service, client and Redis the test had, closed. `redis` and `direct`
 * change from test to test, so they are read inside tests, not kept from the describe's body.
 */
export function rawFixture(): RawFixture {
  let redis: RedisServer | undefined;
  let direct: Redis | undefined;
  const services: ServiceProcess[] = [];
  const connections: RawConnection[] = [];
  const current = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`rawFixture: ${name} exists only while a test runs`);
    return value;
  };
  beforeEach(async () => {
    redis = await startRedis({ persistent: false });
    direct = directClient(redis.url);
  });
  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.destroy();
    // A test that failed while it held Redis paused (SIGSTOP) must not leave it stopped.
    redis?.resume();
    await Promise.all(services.splice(0).map((service) => service.stop('SIGKILL')));
    direct?.disconnect();
    await redis?.dispose();
    redis = undefined;
    direct = undefined;
  });
  return {
    get redis() {
      return current(redis, 'redis');
    },
    get direct() {
      return current(direct, 'direct');
    },
    async start(env = {}) {
      const service = await spawnService({ REDIS_URL: current(redis, 'redis').url, ...env });
      services.push(service);
      return service;
    },
    async open(port) {
      const connection = await RawConnection.open(port);
      connections.push(connection);
      return connection;
    },
  };
}
