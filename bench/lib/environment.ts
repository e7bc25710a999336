import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  readonly cpuModel: string;
  readonly nproc: number;
  readonly memoryTotalGiB: number;
  readonly loadAverageAtStart: readonly number[];
  readonly node: string;
  readonly wrk: string;
  readonly redis: string;
  readonly kernel: string;
}

function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch (error) {
    // `wrk -v` prints its version and then exits 1 (it wants a URL).
    const out = (error as { stdout?: string }).stdout ?? '';
    return out.split('\n')[0]?.trim() || 'unknown';
  }
}

export function describeMachine(): Machine {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cpuModel: model,
    nproc: os.availableParallelism(),
    memoryTotalGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    wrk: firstLine('wrk', ['-v']).replace(/\s*Copyright.*$/, ''),
    redis: firstLine('redis-server', ['--version']),
    kernel: `${os.type()} ${os.release()}`,
  };
}

export type ImageSize = { readonly image: string; readonly bytes: number; readonly mb: number } | { readonly image: string; readonly notMeasured: string };

/** The API image's size as Docker reports it, when Docker and the image are here. */
export function imageSize(image: string): ImageSize {
  const docker = '/usr/bin/docker';
  if (!existsSync(docker)) return { image, notMeasured: 'no docker (/usr/bin/docker missing)' };
  try {
    const out = execFileSync(docker, ['image', 'inspect', image, '--format', '{{.Size}}'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    const bytes = Number(out.trim());
    return { image, bytes, mb: Math.round((bytes / 1e6) * 10) / 10 };
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    if (stderr.includes('No such image')) return { image, notMeasured: `image ${image} not built` };
    if (stderr.includes('Cannot connect to the Docker daemon')) return { image, notMeasured: 'the Docker daemon is not running' };
    return { image, notMeasured: `docker image inspect failed: ${stderr || String(error)}` };
  }
}
