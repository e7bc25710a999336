import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { trackConnections, type ConnectionDrain } from '../../service/connection-drain.js';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A client on one raw socket: it writes requests exactly when told, which a pooled HTTP agent
 * does not allow, and reads one response at a time.
 */
class RawClient {
  private buffer = '';
  private waiting: (() => void) | undefined;
  ended = false;
  readonly closed: Promise<number>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
    socket.on('end', () => {
      this.ended = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
    this.closed = once(socket, 'close').then(() => performance.now());
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  send(path = '/'): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
  }

  async read(): Promise<RawResponse> {
    for (;;) {
      const response = this.parse();
      if (response !== undefined) return response;
      if (this.ended || this.socket.destroyed) throw new Error(`connection closed before a whole response; got ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private parse(): RawResponse | undefined {
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine = '', ...lines] = this.buffer.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    if (this.buffer.length < bodyStart + length) return undefined;
    const body = this.buffer.slice(bodyStart, bodyStart + length);
    this.buffer = this.buffer.slice(bodyStart + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }
}

describe('trackConnections', () => {
  let server: Server;
  let port: number;
  let release: () => void;
  let clients: RawClient[];

  const start = async (idleGraceMs: number): Promise<ConnectionDrain> => {
    server = createServer();
    const drain = trackConnections(
      server,
      (request: IncomingMessage, response: ServerResponse) => {
        const answer = () => response.end(`answer to ${request.url}`);
        if (request.url === '/slow') new Promise<void>((resolve) => (release = resolve)).then(answer, answer);
        else if (request.url !== '/never') answer();
      },
      { idleGraceMs },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
    return drain;
  };
  const client = async () => {
    const opened = await RawClient.open(port);
    clients.push(opened);
    return opened;
  };

  beforeEach(() => {
    clients = [];
  });
  afterEach(() => {
    for (const { socket } of clients) socket.destroy();
    server.closeAllConnections();
    if (server.listening) server.close();
  });

  it('keeps connections alive until the drain starts', async () => {
    await start(1000);
    const c = await client();
    c.send('/a');
    const response = await c.read();
    expect(response.headers.connection).to.equal('keep-alive');
    c.send('/b');
    expect((await c.read()).body).to.equal('answer to /b');
  });

  it('answers a request sent on an idle keep-alive connection as the drain starts, with Connection: close', async () => {
    const drain = await start(1000);
    const c = await client();
    c.send('/first');
    await c.read();
    // The client writes its next request in the same instant the drain begins: the race that
    // http.Server#close() loses by closing the idle connection under the request.
    const closing = drain.close(5000);
    c.send('/second');
    const response = await c.read();
    expect(response).to.deep.include({ status: 200, body: 'answer to /second' });
    expect(response.headers.connection).to.equal('close');
    await c.closed;
    expect(await closing).to.equal(true);
  });

  it('refuses new connections once the drain starts', async () => {
    const drain = await start(1000);
    const closing = drain.close(5000);
    const socket = connect(port, '127.0.0.1');
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).to.equal('ECONNREFUSED');
    expect(await closing).to.equal(true);
  });

  it('closes a connection that stays idle for idleGraceMs, and not before', async () => {
    const drain = await start(300);
    const c = await client();
    c.send('/');
    await c.read();
    const started = performance.now();
    const closing = drain.close(5000);
    const closedAfter = (await c.closed) - started;
    expect(closedAfter).to.be.at.least(290);
    expect(await closing).to.equal(true);
  });

  it('lets a request in progress finish, and tells its client to close', async () => {
    const drain = await start(1000);
    const c = await client();
    c.send('/slow');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = drain.close(5000);
    release();
    const response = await c.read();
    expect(response).to.deep.include({ status: 200, body: 'answer to /slow' });
    expect(response.headers.connection).to.equal('close');
    expect(await closing).to.equal(true);
  });

  it('cuts a request still running at the timeout and resolves false', async () => {
    const drain = await start(1000);
    const c = await client();
    c.send('/never');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await drain.close(200)).to.equal(false);
    const error = await c.read().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/^connection closed before a whole response; got ""$/);
  });

  it('resolves true when only idle connections are left at the timeout', async () => {
    const drain = await start(10_000);
    const c = await client();
    c.send('/');
    await c.read();
    expect(await drain.close(200)).to.equal(true);
    await c.closed;
  });
});
