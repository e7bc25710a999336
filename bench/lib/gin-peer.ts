import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './server-process.js';

/** The Go module of the peer: the original's gin + go-redis service, pinned by its go.mod/go.sum. */
export const ginPeerDir = path.join(repoRoot, 'bench/gin-peer');
const sources = ['go.mod', 'go.sum', 'main.go'];

/** Where built tools live, outside the repository: REAS_CACHE_DIR, else $XDG_CACHE_HOME/reas, else ~/.cache/reas. */
export function cacheDir(): string {
  if (process.env.REAS_CACHE_DIR) return process.env.REAS_CACHE_DIR;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'reas');
}

function goVersion(): string | undefined {
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return undefined;
  return r.stdout.trim();
}

/** The message when Go is missing: the bench never runs without its peer unless told to. */
export const goMissing =
  'Go is not installed (`go` is not on PATH). `npm run bench` builds its gin peer (bench/gin-peer: the original ' +
  'gin + go-redis service) from its Go modules; install Go 1.21 or later (an older toolchain than ' +
  'go.mod asks for fetches that one as a Go module) and run it again, or pass --no-gin to measure without the peer.';

/**
 * Builds the gin peer once per source and Go version into the cache and returns the binary's path.
 * The cache key covers go.mod, go.sum, main.go and the Go version, so an edit or a new toolchain rebuilds.
 */
export function ensureGinPeer(log: (line: string) => void): string {
  const version = goVersion();
  if (version === undefined) throw new Error(goMissing);
  const hash = createHash('sha256');
  for (const file of sources) hash.update(file).update('\0').update(readFileSync(path.join(ginPeerDir, file)));
  hash.update(version);
  const dir = path.join(cacheDir(), 'bench');
  const binary = path.join(dir, `gin-peer-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  log(`building the gin peer with ${version} into ${binary} (first run only; a few minutes on 2 cores)`);
  const partial = `${binary}.partial-${process.pid}`;
  // -mod=readonly: the pinned go.sum is the truth; a module that does not match it fails the build.
  const r = spawnSync('go', ['build', '-mod=readonly', '-trimpath', '-ldflags', '-s -w', '-o', partial, '.'], {
    cwd: ginPeerDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOFLAGS: '-buildvcs=false' },
  });
  if (r.error !== undefined || r.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`go build of the gin peer (${ginPeerDir}) failed (${r.error?.message ?? `exit ${r.status}`}); see its output above`);
  }
  renameSync(partial, binary);
  return binary;
}
