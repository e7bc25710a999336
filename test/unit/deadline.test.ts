import { expect } from 'chai';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { DeadlineError, withDeadline } from '../../service/deadline.js';

const peerScript = `require('node:net').createServer((s) => s.on('data', () => s.write('PONG')))
  .listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port)); });`;

const busyFor = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // block the event loop, as a burst of requests or a GC pause does
  }
};

describe('withDeadline', () => {
  it('resolves with the value when it comes in time', async () => {
    expect(await withDeadline(Promise.resolve(42), 50)).to.equal(42);
  });

  it('passes on a rejection that comes in time', async () => {
    const error = await withDeadline(Promise.reject(new Error('boom')), 50).catch((e: Error) => e);
    expect(error).to.be.instanceOf(Error).with.property('message', 'boom');
  });

  it('rejects with DeadlineError when nothing comes', async () => {
    const started = Date.now();
    const error = await withDeadline(new Promise(() => undefined), 30).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DeadlineError).with.property('ms', 30);
    expect(Date.now() - started).to.be.at.least(29);
  });

  it('prefers a reply that reached the socket while the event loop was blocked past the deadline', async () => {
    // A real socket, as with Redis: the peer answers at once, but this process is busy for
    // longer than the deadline. A timeout that rejects straight from its timer would win here,
    // because Node runs expired timers before it reads sockets; the reply must win.
    // The peer is another process, so it answers while this one is blocked.
    const peer = spawn(process.execPath, ['-e', peerScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(peer.stdout, 'data')) as [Buffer];
      const client = connect(Number(line.toString()), '127.0.0.1');
      await once(client, 'connect');
      const reply = new Promise<string>((resolve) => client.once('data', (data: Buffer) => resolve(data.toString())));
      client.write('PING');
      const pending = withDeadline(reply, 20);
      busyFor(200);
      expect(await pending).to.equal('PONG');
      client.destroy();
    } finally {
      peer.kill();
    }
  });
});
