import { parseArgs } from 'node:util';

/** What `npm run smoke` was asked to do. */
export interface SmokeOptions {
  /** Namespace the release lives in. */
  readonly namespace: string;
  /** Release name: objects are `<release>-api` and `<release>-redis`, as the chart and the cdk8s app name them. */
  readonly release: string;
  /** How long to wait for the workloads to become ready, in seconds. */
  readonly timeoutSeconds: number;
  /** Local port of the tunnel; 0 picks a free one. */
  readonly localPort: number;
  /** Print usage and exit. */
  readonly help: boolean;
}

export const usage = `Usage: npm run smoke -- [--namespace reas] [--release reas] [--timeout 180] [--local-port 0]

Against the current kube context: waits for the Deployment <release>-api and the StatefulSet <release>-redis to be
ready, port-forwards 127.0.0.1:<local-port> to an API pod behind the Service <release>-api, and runs the e2e suite
(test/e2e) through that tunnel with BASE_URL=http://127.0.0.1:<local-port>.`;

function positiveInteger(flag: string, raw: string, allowZero: boolean): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw new Error(`--${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${raw}"`);
  }
  return n;
}

/** DNS-1123 label: what Kubernetes accepts as a namespace and what the chart accepts as a release name. */
function dnsLabel(flag: string, raw: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(raw) || raw.length > 63) {
    throw new Error(`--${flag} must be a DNS-1123 label (lower-case letters, digits, '-'), got "${raw}"`);
  }
  return raw;
}

/** Parses the command line (without node and the script); throws an Error whose message names the bad flag. */
export function parseSmokeArgs(argv: readonly string[]): SmokeOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      namespace: { type: 'string', short: 'n', default: 'reas' },
      release: { type: 'string', short: 'r', default: 'reas' },
      timeout: { type: 'string', default: '180' },
      'local-port': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const localPort = positiveInteger('local-port', values['local-port'], true);
  if (localPort > 65535) throw new Error(`--local-port must be at most 65535, got ${localPort}`);
  return {
    namespace: dnsLabel('namespace', values.namespace),
    release: dnsLabel('release', values.release),
    timeoutSeconds: positiveInteger('timeout', values.timeout, false),
    localPort,
    help: values.help,
  };
}
