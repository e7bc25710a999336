/**
 * A light, steady load for stage 3 (test/cluster/user-flows.sh): POST /inc at a fixed rate until SIGTERM/SIGINT, then a
 * JSON summary on stdout. It tells apart what the service acknowledged (200 with the new count) from what failed,
 * and a failure that provably never reached the service (refused connection, 503 REDIS_UNAVAILABLE: the API sends
 * nothing to Redis without a connection) from one that may have been applied (a reset, a timeout, any other
 * answer), so the caller can bound the count from both sides.
 *
 *   tsx hack/cluster/load.ts --url http://10.96.0.12:5000 [--rate 20] [--keep-alive]
 *
 * Without --keep-alive every request opens its own connection, as `curl` in a loop does; with it, requests reuse
 * a small pool of connections, as most HTTP clients do.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rate: { type: 'string', default: '20' },
    'keep-alive': { type: 'boolean', default: false },
    'timeout-ms': { type: 'string', default: '5000' },
  },
});
if (values.url === undefined) {
  console.error('load.ts: --url is required (the API base URL, e.g. http://10.96.0.12:5000)');
  process.exit(2);
}
const target = new URL('/inc', values.url);
const rate = Number(values.rate);
const timeoutMs = Number(values['timeout-ms']);
const agent = new http.Agent({ keepAlive: values['keep-alive'], maxSockets: 4 });

interface Failure { at: number; what: string; reached: boolean }
const acknowledged: string[] = [];
// When each 200 arrived (ms since start): the longest stretch without one is the outage a client saw.
const acknowledgedAt: number[] = [];
// Answers that carried `Connection: close`: a draining pod telling a keep-alive client to reconnect.
let toldToClose = 0;
const failures: Failure[] = [];
const started = Date.now();
let sent = 0;
let inFlight = 0;

function fail(what: string, reached: boolean): void {
  failures.push({ at: Date.now() - started, what, reached });
}

function once(): void {
  sent += 1;
  inFlight += 1;
  let done = false;
  const finish = () => {
    if (!done) {
      done = true;
      inFlight -= 1;
    }
  };
  const req = http.request(target, { method: 'POST', agent: values['keep-alive'] ? agent : false, headers: { Accept: 'application/json' } }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => {
      if (res.headers.connection === 'close' && values['keep-alive']) toldToClose += 1;
      if (res.statusCode === 200) {
        const count = (JSON.parse(body) as { count: number | string }).count;
        acknowledged.push(String(count));
        acknowledgedAt.push(Date.now() - started);
      } else {
        let code = '';
        try {
          code = (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '';
        } catch {
          // Not our JSON (e.g. a proxy's page): keep the status only.
        }
        fail(`${res.statusCode ?? 0} ${code}`.trim(), code !== 'REDIS_UNAVAILABLE');
      }
      finish();
    });
    res.on('error', (err: NodeJS.ErrnoException) => {
      fail(`response ${err.code ?? err.message}`, true);
      finish();
    });
  });
  req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
  req.on('error', (err: NodeJS.ErrnoException) => {
    if (done) return;
    // Refused: nothing listened, so nothing was sent. Anything else may have reached the service.
    fail(err.code ?? err.message, err.code !== 'ECONNREFUSED');
    finish();
  });
  req.end();
}

const timer = setInterval(once, 1000 / rate);

function stop(): void {
  clearInterval(timer);
  const wait = setInterval(() => {
    if (inFlight > 0) return;
    clearInterval(wait);
    agent.destroy();
    const byKind: Record<string, number> = {};
    for (const f of failures) byKind[f.what] = (byKind[f.what] ?? 0) + 1;
    const distinct = new Set(acknowledged).size;
    let longestGapMs = 0;
    let longestGapFrom = 0;
    for (let i = 1; i < acknowledgedAt.length; i += 1) {
      const gap = (acknowledgedAt[i] ?? 0) - (acknowledgedAt[i - 1] ?? 0);
      if (gap > longestGapMs) [longestGapMs, longestGapFrom] = [gap, acknowledgedAt[i - 1] ?? 0];
    }
    // Wall-clock times, to line the client's outage up with the Sentinels' and the API's logs.
    const clock = (ms: number) => new Date(started + ms).toISOString();
    const failedAt = failures.map((f) => f.at);
    process.stdout.write(`${JSON.stringify({
      seconds: (Date.now() - started) / 1000,
      keepAlive: values['keep-alive'],
      sent,
      acknowledged: acknowledged.length,
      distinctAnswers: distinct,
      failed: failures.length,
      maybeApplied: failures.filter((f) => f.reached).length,
      toldToClose,
      // From the first failed answer to the last one, and the longest time between two 200s.
      failureWindowMs: failedAt.length > 0 ? Math.max(...failedAt) - Math.min(...failedAt) : 0,
      longestGapMs,
      longestGap: longestGapMs > 0 ? `${clock(longestGapFrom)} to ${clock(longestGapFrom + longestGapMs)}` : '',
      failures: failedAt.length > 0 ? `${clock(Math.min(...failedAt))} to ${clock(Math.max(...failedAt))}` : '',
      failuresByKind: byKind,
      firstFailures: failures.slice(0, 10),
    })}\n`);
    process.exit(0);
  }, 20);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
