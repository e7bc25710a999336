import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { utimesSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../hack/lib/free-port.js';
import { REPO_ROOT } from '../k8s/synth.js';

/** Resolves when `predicate(output)` holds, rejects after `ms` with the output so far. */
async function until(read: () => string, predicate: (output: string) => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate(read())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms; output:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const listening = (output: string) => output.split('\n').filter((line) => line.includes('"msg":"listening"')).length;

async function accepts(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  const result = await once(socket, 'connect').then(
    () => true,
    () => false,
  );
  socket.destroy();
  return result;
}

describe('npm run dev (hack/local.ts --watch)', function () {
  this.timeout(120_000);
  let child: ChildProcess;
  let output: string;
  let port: number;
  let redisPort: number;

  before(async () => {
    port = await freePort();
    output = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'hack/local.ts', '--watch'], { cwd: REPO_ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Listening comes first; the Redis connection is ready a moment later.
    await until(() => output, (o) => listening(o) >= 1 && o.includes('"msg":"redis ready"'), 60_000, 'the service did not listen with Redis ready');
    redisPort = Number(/local redis-server on 127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    // A Redis left running (the failure below) holds these pipes open, and mocha would wait for it forever.
    child.stdout?.destroy();
    child.stderr?.destroy();
  });

  it('serves the TypeScript source with its private Redis', async () => {
    expect(await (await fetch(`http://127.0.0.1:${port}/ok`)).text()).to.equal('gin OK');
    expect((await fetch(`http://127.0.0.1:${port}/inc`, { method: 'POST' })).status).to.equal(200);
    expect(await accepts(redisPort)).to.equal(true);
  });

  it('restarts the service when a file under service/ is saved', async () => {
    const before = listening(output);
    const file = join(REPO_ROOT, 'service/routes/health.ts');
    // tsx sets its watches up a moment after the service starts: save again, as a person would, until it restarts.
    const deadline = Date.now() + 60_000;
    while (listening(output) === before && Date.now() < deadline) {
      const now = new Date();
      utimesSync(file, now, now);
      await until(() => output, (o) => listening(o) > before, 3_000, 'no restart yet').catch(() => undefined);
    }
    expect(listening(output), `the service did not restart; output:\n${output}`).to.be.greaterThan(before);
    // A second save may have started one more restart: the service answers again once that one is done.
    let answer = '';
    for (const end = Date.now() + 30_000; answer !== 'gin OK' && Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 200))) {
      answer = await fetch(`http://127.0.0.1:${port}/ok`).then((r) => r.text(), () => '');
    }
    expect(answer).to.equal('gin OK');
  });

  it('stops the service and then Redis on a Ctrl-C that arrives twice (terminal and tsx), and exits 0', async () => {
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    // Apart, as tsx relays it: two signals sent at once would be merged into one by the kernel.
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    expect(code).to.equal(0);
    expect(await accepts(redisPort)).to.equal(false);
  });
});
