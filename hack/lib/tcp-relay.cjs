// A TCP relay in a process of its own (see startRelay in redis-sentinel.ts): 127.0.0.1:<free port>
// -> 127.0.0.1:<argv[2]>. It runs apart from the test so that a busy test process never delays the
// replication stream it carries. stdin: "freeze" stops forwarding in both directions and passing
// on closes (the connection goes silent, as in a partition); "thaw" resumes. Each is acknowledged
// on stdout.
'use strict';
const net = require('node:net');
const readline = require('node:readline');

const target = Number(process.argv[2]);
let frozen = false;
const pairs = new Set();

const server = net.createServer((downstream) => {
  const upstream = net.connect(target, '127.0.0.1');
  // As Redis's own replication link (repl-disable-tcp-nodelay no): Nagle would delay every WAIT.
  downstream.setNoDelay(true);
  upstream.setNoDelay(true);
  const pair = [downstream, upstream];
  pairs.add(pair);
  const forward = (from, to) => {
    from.on('data', (chunk) => to.write(chunk));
    from.on('error', () => undefined);
    from.on('close', () => {
      if (!frozen) to.destroy();
      pairs.delete(pair);
    });
  };
  forward(downstream, upstream);
  forward(upstream, downstream);
  if (frozen) {
    downstream.pause();
    upstream.pause();
  }
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${server.address().port}\n`));
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  frozen = line === 'freeze';
  for (const [a, b] of pairs) {
    if (frozen) {
      a.pause();
      b.pause();
    } else {
      a.resume();
      b.resume();
    }
  }
  process.stdout.write(frozen ? 'frozen\n' : 'thawed\n');
});
process.stdin.on('end', () => process.exit(0));
