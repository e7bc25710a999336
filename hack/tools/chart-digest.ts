/**
 * The content digest of a packaged chart: sha256 over every file `helm package` puts in it (path and bytes, sorted),
 * so tar timestamps do not count. test/chart/chart-version.test.ts compares it with test/chart/released-charts.json
 * to enforce a version bump on every chart change. Usage: npx tsx hack/tools/chart-digest.ts [chart dir]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runHelm } from '../lib/helm.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

export async function chartDigest(chartDir: string): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'reas-chart-digest-'));
  try {
    const packaged = await runHelm(['package', chartDir, '--destination', scratch]);
    if (packaged.code !== 0) throw new Error(`helm package ${chartDir} failed: ${packaged.stderr}`);
    const tgz = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
    if (tgz === undefined) throw new Error(`helm package ${chartDir} wrote no .tgz`);
    const out = join(scratch, 'x');
    spawnSync('mkdir', [out]);
    const untar = spawnSync('tar', ['-xzf', join(scratch, tgz), '-C', out], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
    const hash = createHash('sha256');
    for (const file of files(out).map((path) => relative(out, path)).sort()) {
      hash.update(`${file}\0`).update(readFileSync(join(out, file))).update('\0');
    }
    return `sha256:${hash.digest('hex')}`;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await chartDigest(process.argv[2] ?? '.'));
