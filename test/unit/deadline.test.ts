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

  it('rejects each pending call at its own deadline, whatever became of the calls before it', async () => {
    const started = Date.now();
    const first = withDeadline(Promise.resolve('early'), 40);
    await new Promise((resolve) => setTimeout(resolve, 15));
    const second = withDeadline(new Promise(() => undefined), 40).catch((e: unknown) => e);
    const third = withDeadline(new Promise(() => undefined), 80).catch((e: unknown) => e);
    expect(await first).to.equal('early');
    expect(await second).to.be.instanceOf(DeadlineError).with.property('ms', 40);
    expect(Date.now() - started, 'the second one, 40 ms after it began').to.be.at.least(54);
    expect(await third).to.be.instanceOf(DeadlineError).with.property('ms', 80);
    expect(Date.now() - started, 'the third one, on its own deadline').to.be.at.least(94);
  });

  it('holds no timer once nothing is pending, so it never keeps a process alive', async () => {
    // A process whose one call settled at once must exit at once, not when its 60 s deadline would have passed.
    const script = `import { withDeadline } from ${JSON.stringify(new URL('../../service/deadline.ts', import.meta.url).href)};
      console.log(await withDeadline(Promise.resolve('settled'), 60_000));`;
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect([code, output.trim()]).to.deep.equal([0, 'settled']);
    expect(Date.now() - started, 'exited long before the deadline').to.be.below(30_000);
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
