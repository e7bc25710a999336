import net from 'node:net';
import { readStatusKb } from './server-process.js';

export interface IdleMemory {
  readonly connections: number;
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  /** RSS growth per 1000 idle keep-alive connections, in MB. */
  readonly mbPer1000: number;
}

const request = 'GET /ok HTTP/1.1\r\nHost: bench\r\n\r\n';

/** One keep-alive connection that has been answered once and then stays open and idle. */
function openAnswered(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write(request));
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('latin1');
      // "gin OK" is the whole body of every server's /ok: the answer is complete when it arrived.
      if (seen.includes('gin OK')) {
        socket.off('data', onData);
        socket.setTimeout(0);
        resolve(socket);
      }
    };
    socket.on('data', onData);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Memory a server spends on idle keep-alive connections: its RSS settled after a warm-up, then
 * `count` connections each answered once and left open, RSS again once they are all idle.
 */
export async function measureIdleConnections(pid: number, port: number, count: number): Promise<IdleMemory> {
  const warm = await Promise.all(Array.from({ length: 16 }, () => openAnswered(port)));
  for (const socket of warm) socket.destroy();
  await sleep(500);
  const before = readStatusKb(pid, 'VmRSS');
  const sockets: net.Socket[] = [];
  try {
    // In batches, so the accept queue (511 by default in Node) never overflows into SYN retries.
    for (let i = 0; i < count; i += 100) {
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => openAnswered(port)))));
    }
    await sleep(1000);
    const after = readStatusKb(pid, 'VmRSS');
    if (before === undefined || after === undefined) throw new Error(`cannot read VmRSS of pid ${pid}`);
    const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
    return { connections: count, rssBeforeMb: mb(before), rssAfterMb: mb(after), mbPer1000: Math.round((((after - before) / 1024) * 1000 / count) * 10) / 10 };
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}
