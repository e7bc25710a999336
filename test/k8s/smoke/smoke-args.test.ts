import { expect } from 'chai';
import { parseSmokeArgs } from '../../../k8s/tools/smoke-args.js';

describe('smoke command line', () => {
  it('defaults to release reas in namespace reas with a 180 s timeout and a free local port', () => {
    expect(parseSmokeArgs([])).to.deep.equal({ namespace: 'reas', release: 'reas', timeoutSeconds: 180, localPort: 0, help: false });
  });

  it('reads --namespace, --release, --timeout and --local-port', () => {
    const o = parseSmokeArgs(['--namespace', 'dev', '--release', 'r1', '--timeout', '30', '--local-port', '5001']);
    expect(o).to.deep.equal({ namespace: 'dev', release: 'r1', timeoutSeconds: 30, localPort: 5001, help: false });
  });

  it('accepts -n and -r as kubectl and helm users type them', () => {
    expect(parseSmokeArgs(['-n', 'x', '-r', 'y'])).to.include({ namespace: 'x', release: 'y' });
  });

  it('rejects an unknown flag', () => {
    expect(() => parseSmokeArgs(['--namespce', 'x'])).to.throw(/Unknown option '--namespce'/);
  });

  it('rejects a namespace that is not a DNS-1123 label', () => {
    expect(() => parseSmokeArgs(['--namespace', 'Bad_NS'])).to.throw(/--namespace must be a DNS-1123 label/);
  });

  it('rejects a zero or non-numeric timeout', () => {
    expect(() => parseSmokeArgs(['--timeout', '0'])).to.throw(/--timeout must be a positive integer/);
    expect(() => parseSmokeArgs(['--timeout', '10s'])).to.throw(/--timeout must be a positive integer/);
  });

  it('rejects a local port above 65535', () => {
    expect(() => parseSmokeArgs(['--local-port', '70000'])).to.throw(/at most 65535/);
  });
});
