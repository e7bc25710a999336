// Proves that every replica of a Swarm service with endpoint_mode dnsrr serves, and that they share one counter:
// increments sent round-robin straight to each task's address must answer one unbroken sequence.
// Runs inside the test image on the stack's network:
//   docker run --rm --network <stack>_frontend -e SERVICE=api -e REPLICAS=2 \
//     -v $PWD/test/containers/count-across-replicas.ts:/app/test/containers/count-across-replicas.ts:ro \
//     reas-test:0.1.0 node --import tsx test/containers/count-across-replicas.ts
import { lookup } from 'node:dns/promises';

const service = process.env.SERVICE ?? 'api';
const port = Number(process.env.PORT ?? 5000);
const replicas = Number(process.env.REPLICAS ?? 2);
const rounds = Number(process.env.ROUNDS ?? 10);

async function post(ip: string, path: string): Promise<number> {
  const res = await fetch(`http://${ip}:${port}${path}`, { method: 'POST' });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`POST ${path} on ${ip}: ${res.status} ${body}`);
  return Number(body);
}

const ips = [...new Set((await lookup(`tasks.${service}`, { all: true })).map((a) => a.address))].sort();
if (ips.length !== replicas) {
  throw new Error(`tasks.${service} resolves to ${ips.length} task(s) (${ips.join(', ')}), expected ${replicas}`);
}
function taskAt(i: number): string {
  const ip = ips[i % ips.length];
  if (ip === undefined) throw new Error(`no task address at ${i}`);
  return ip;
}

const start = Number(await (await fetch(`http://${taskAt(0)}:${port}/count`)).text());
let expected = start;
let incs = 0;
try {
  for (let i = 0; i < rounds * ips.length; i += 1) {
    const ip = taskAt(i);
    const got = await post(ip, '/inc');
    incs += 1;
    expected += 1;
    if (got !== expected) throw new Error(`POST /inc on ${ip} answered ${got}, expected ${expected}`);
  }
} finally {
  // Leave the count where it was, even after a failure half-way.
  for (let i = 0; i < incs; i += 1) await post(taskAt(i), '/dec');
}
const end = Number(await (await fetch(`http://${taskAt(ips.length - 1)}:${port}/count`)).text());
if (end !== start) throw new Error(`count ended at ${end}, expected it back at ${start}`);
console.log(`${ips.length} replicas (${ips.join(', ')}) answered ${incs} round-robin increments as one sequence ${start + 1}..${start + incs}`);
