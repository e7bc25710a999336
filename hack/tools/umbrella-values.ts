/**
 * Writes the `api:` and `redis:` blocks of the umbrella's values.yaml from charts/api/values.yaml and
 * charts/redis/values.yaml (comments included), so `helm show values .` shows every value a user can set: helm prints
 * the root values.yaml only. test/chart/chart-values.test.ts fails when the blocks are stale.
 * Usage: npx tsx hack/tools/umbrella-values.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHART_DIR } from '../../test/chart/chart-cases.js';

const SUBCHARTS = ['api', 'redis'] as const;

function begin(name: string): string {
  return `# ==== ${name}: generated from charts/${name}/values.yaml by hack/tools/umbrella-values.ts; edit it there ====`;
}
function end(name: string): string {
  return `# ==== end of ${name} ====`;
}

/** The subchart's values.yaml under `<name>:`, without its opening paragraph (which says where it sits). */
function block(name: string): string {
  const text = readFileSync(join(CHART_DIR, 'charts', name, 'values.yaml'), 'utf8');
  const body = text.slice(text.indexOf('\n\n') + 2).replace(/\n+$/, '');
  const indented = body
    .split('\n')
    .map((line) => (line === '' ? '' : `  ${line}`))
    .join('\n');
  return `${begin(name)}\n${name}:\n${indented}\n${end(name)}`;
}

/** The umbrella values.yaml with both blocks regenerated. */
export function umbrellaValues(): string {
  let text = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');
  for (const name of SUBCHARTS) {
    const from = text.indexOf(begin(name));
    const to = text.indexOf(end(name));
    if (from < 0 || to < from) throw new Error(`values.yaml: the ${name} block markers are missing`);
    text = text.slice(0, from) + block(name) + text.slice(to + end(name).length);
  }
  return text;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const fresh = umbrellaValues();
  if (process.argv.includes('--check')) {
    if (fresh !== readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) {
      console.error('values.yaml is stale: run npx tsx hack/tools/umbrella-values.ts');
      process.exit(1);
    }
  } else {
    writeFileSync(join(CHART_DIR, 'values.yaml'), fresh);
  }
}
