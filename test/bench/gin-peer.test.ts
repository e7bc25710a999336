import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// The gin peer itself is measured by `npm run bench` and test/bench-gin/ (they need Go); this checks,
// without Go, that the bench refuses to run without its peer rather than quietly leaving it out.
describe('npm run bench without Go', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'reas-no-go-'));
    // A PATH with wrk and nothing else, so `go` cannot be found wherever it is installed.
    const wrk = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).stdout.trim();
    if (wrk === '') throw new Error('wrk is not installed: `apt-get install -y wrk` (the bench tests need it)');
    await symlink(wrk, path.join(dir, 'wrk'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 naming Go and how to get it, or how to run without the peer', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--out', path.join(dir, 'result.json')], {
      cwd: repoRoot,
      env: { PATH: dir, HOME: process.env.HOME ?? dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code, output).to.equal(1);
    expect(output).to.include('Go is not installed');
    expect(output).to.include('install Go');
    expect(output).to.include('--no-gin');
  });
});
