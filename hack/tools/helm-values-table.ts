/**
 * Prints the values reference of the chart (umbrella and subcharts) as a Markdown table, from the values files'
 * comments and defaults, for the values section of docs/chart.md (the README links to it). Usage: npx tsx hack/tools/helm-values-table.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { CHART_DIR } from '../../test/chart/chart-cases.js';
import { VALUES_FILES, valuesKeys } from '../../test/chart/values-docs.js';

function valueAt(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}

function render(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) return '';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function valuesTable(): string {
  const rows = ['| Value | Default | Meaning |', '| --- | --- | --- |'];
  // The umbrella's values.yaml holds the subcharts' values too (hack/tools/umbrella-values.ts).
  for (const { file, prefix } of VALUES_FILES.slice(0, 1)) {
    const values: unknown = parse(readFileSync(join(CHART_DIR, file), 'utf8'));
    for (const entry of valuesKeys(file)) {
      const meaning = entry.comment.join(' ').replace(/\|/g, '\\|');
      const shown = render(valueAt(values, entry.path));
      rows.push(`| \`${prefix}${entry.path}\` | ${shown === '' ? '' : `\`${shown.replace(/\|/g, '\\|')}\``} | ${meaning} |`);
    }
  }
  return rows.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(valuesTable());
