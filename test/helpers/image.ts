import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What the image is made of and runs, as the Dockerfile says. */
const dockerfile = () => readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');

/** The command line the image runs, from the Dockerfile's last CMD. */
export function imageCommand(): string[] {
  const cmd = [...dockerfile().matchAll(/^CMD (\[.*\])$/gm)].at(-1)?.[1];
  return JSON.parse(cmd ?? '[]') as string[];
}

/** The image's Node line, from the Dockerfile's NODE_IMAGE (node:<major>-...). */
export function imageNodeMajor(): number {
  const major = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(dockerfile())?.[1];
  if (major === undefined) throw new Error('Dockerfile: no ARG NODE_IMAGE=node:<major>-...');
  return Number(major);
}

/**
 * A node of the image's line, for the tests about behaviour that depends on it: the one running the tests when it is
 * of that line, else REAS_IMAGE_NODE, else the one .ci/run installs into ~/.cache/reas/node.
 */
export function imageNode(): string {
  const major = imageNodeMajor();
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  if (process.env.REAS_IMAGE_NODE !== undefined && existsSync(process.env.REAS_IMAGE_NODE)) return process.env.REAS_IMAGE_NODE;
  // Where .ci/install-node.sh puts it.
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'reas/node');
  const byVersion = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  const installed = existsSync(cache) ? readdirSync(cache).filter((v) => v.startsWith(`v${major}.`)).sort(byVersion) : [];
  const found = installed.map((v) => join(cache, v, 'bin/node')).findLast((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(
      `node ${process.version} is not the image's Node ${major} and none was found: run the tests on Node ${major}, set REAS_IMAGE_NODE to one, or let .ci/run install it into ${cache}`,
    );
  }
  return found;
}
