import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Refuses what Go's server refuses before routing and Node's parser lets through, with Go's answer:
 * a request line of another HTTP major version (`HTTP/2.0`) gets 505, a second Host header 400 (two
 * Hosts let a proxy and this server disagree on whom the request is for). Returns true when it answered.
 */
export function refuseMalformed(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.httpVersionMajor !== 1) return refuse(response, 505, 'HTTP Version Not Supported', 'unsupported protocol version');
  const raw = request.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return refuse(response, 400, 'Bad Request', 'too many Host headers');
  return false;
}

function refuse(response: ServerResponse, status: number, reason: string, detail: string): true {
  const body = `${status} ${reason}: ${detail}`;
  response.writeHead(status, `${reason}: ${detail}`, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(body.length),
    Connection: 'close',
  });
  response.end(body);
  return true;
}
