import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR } from './chart-cases.js';

/** The values files of the umbrella and its subcharts, with the prefix their keys carry in the umbrella. */
export const VALUES_FILES: readonly { file: string; prefix: string }[] = [
  { file: 'values.yaml', prefix: '' },
  { file: 'charts/api/values.yaml', prefix: 'api.' },
  { file: 'charts/redis/values.yaml', prefix: 'redis.' },
];

export interface ValuesKey {
  /** Dotted path from the file's root, e.g. image.tag. */
  path: string;
  key: string;
  line: number;
  /** The contiguous comment block right above the key, without the leading "# " (and helm-docs' "-- "). */
  comment: string[];
  /** The block opens with helm-docs' `# -- ` marker, so the key is a row of the generated values table. */
  helmDocs: boolean;
  /** The key holds other keys (a section); helm-docs lists its leaves, not the section itself. */
  parent: boolean;
}

const KEY_LINE = /^(\s*)([A-Za-z][A-Za-z0-9]*):(\s|$)/;

/**
 * The keys of a values file in order, with the comment block above each. Keys of data maps (labels such as
 * app.kubernetes.io/name) do not match the camelCase key pattern and are not schema keys, so they are skipped
 * along with their children.
 */
export function valuesKeys(file: string): ValuesKey[] {
  const lines = readFileSync(join(CHART_DIR, file), 'utf8').split('\n');
  const keys: ValuesKey[] = [];
  const stack: { indent: number; key: string }[] = [];
  lines.forEach((line, index) => {
    const match = KEY_LINE.exec(line);
    if (match === null) return;
    const indent = match[1]?.length ?? 0;
    const key = match[2] ?? '';
    while (stack.length > 0 && (stack[stack.length - 1]?.indent ?? 0) >= indent) stack.pop();
    const raw: string[] = [];
    for (let above = index - 1; above >= 0; above -= 1) {
      const text = lines[above]?.trim() ?? '';
      if (!text.startsWith('#')) break;
      raw.unshift(text);
    }
    const comment = raw.map((text) => text.replace(/^#\s?(--\s)?/, ''));
    const next = lines.slice(index + 1).find((candidate) => candidate.trim() !== '' && !candidate.trim().startsWith('#'));
    const child = next === undefined ? null : KEY_LINE.exec(next);
    const parent = child !== null && (child[1]?.length ?? 0) > indent;
    const path = [...stack.map((entry) => entry.key), key].join('.');
    stack.push({ indent, key });
    keys.push({ path, key, line: index + 1, comment, helmDocs: /^#\s--\s/.test(raw[0] ?? ''), parent });
  });
  return keys;
}

export function valueAt(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}

/** JSON as Go's encoding/json writes it for helm-docs: map keys sorted, <, > and & escaped. */
function goJson(value: unknown): string {
  const sorted = (node: unknown): unknown =>
    Array.isArray(node) ? node.map(sorted) : node !== null && typeof node === 'object' ? Object.fromEntries(Object.keys(node).sort().map((key) => [key, sorted((node as Record<string, unknown>)[key])])) : node;
  return JSON.stringify(sorted(value)).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function helmDocsType(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'string';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value === 'boolean' ? 'bool' : 'string';
}

/** The row helm-docs' chart.valuesTable writes for a value: key, type, default, and the `# -- ` comment joined. */
export function helmDocsRow(path: string, value: unknown, comment: readonly string[]): string {
  return `| ${path} | ${helmDocsType(value)} | \`${goJson(value)}\` | ${comment.join(' ')} |`;
}
