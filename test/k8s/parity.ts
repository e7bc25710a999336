import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { K8sObject } from '../../hack/lib/helm.js';

/**
 * Helm/cdk8s parity: both renderings are normalised by the rules of intended-differences.yaml (each with its
 * reason), then compared object by object (kind/name) and field by field. Whatever differs after that is a finding.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** One intended difference; see intended-differences.yaml for the fields' meaning. */
export interface IntendedDifference {
  id: string;
  reason: string;
  /** Which rendering the rule edits. */
  side: 'helm' | 'cdk8s' | 'both';
  /** Kinds it applies to; absent = every kind. */
  kinds?: string[];
  /** Object names it applies to; absent = every name. */
  names?: string[];
  /** Drop the whole object. */
  dropObject?: boolean;
  /** JSON-pointer-like paths (`/a/b`, `~1` = `/`, `*` = any key or index) of fields to remove... */
  remove?: string[];
  /** ...only where the value equals this (e.g. an API default written out). */
  whenEquals?: Json;
  /** Replace values at `remove` paths that match this regular expression by a placeholder (kept: must exist). */
  whenMatches?: string;
}

export function loadIntendedDifferences(file: string): IntendedDifference[] {
  const rules = parse(readFileSync(file, 'utf8')) as IntendedDifference[];
  for (const rule of rules) {
    if (!rule.id || !rule.reason || rule.reason.trim().length < 20) throw new Error(`intended difference ${rule.id ?? '?'} needs an id and a reason`);
    if (!['helm', 'cdk8s', 'both'].includes(rule.side)) throw new Error(`intended difference ${rule.id}: side must be helm, cdk8s or both`);
    if (!rule.dropObject && !(rule.remove && rule.remove.length > 0)) throw new Error(`intended difference ${rule.id}: nothing to do`);
  }
  return rules;
}

export const objectKey = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;

function decode(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a as Json)) === JSON.stringify(canonical(b as Json));
}

/** Sorted keys, so key order never counts as a difference (it does not to the API server). */
function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as JsonObject)[k] as Json)]));
  }
  return value;
}

/** Applies `edit` to every value at `path`; returns how many places matched. */
function visit(node: Json, segments: string[], edit: (parent: JsonObject | Json[], key: string) => void): number {
  if (segments.length === 0 || node === null || typeof node !== 'object') return 0;
  const [head, ...rest] = segments as [string, ...string[]];
  const keys = head === '*' ? Object.keys(node) : [decode(head)];
  let count = 0;
  for (const key of keys) {
    if (!(key in node)) continue;
    if (rest.length === 0) {
      edit(node, key);
      count++;
    } else {
      count += visit((node as JsonObject)[key] as Json, rest, edit);
    }
  }
  return count;
}

function applies(rule: IntendedDifference, side: 'helm' | 'cdk8s', o: K8sObject): boolean {
  return (rule.side === side || rule.side === 'both')
    && (!rule.kinds || rule.kinds.includes(o.kind))
    && (!rule.names || rule.names.includes(o.metadata.name));
}

/** Lists whose order means nothing to Kubernetes (merge-keyed by name), sorted so order is no difference. */
const NAME_KEYED_LISTS = ['/spec/template/spec/volumes', '/spec/template/spec/containers/*/volumeMounts'];

/** Returns normalised deep copies, and which rules matched (a rule that never matches is stale). */
export function normalise(objects: readonly K8sObject[], side: 'helm' | 'cdk8s', rules: readonly IntendedDifference[], used: Set<string> = new Set()): K8sObject[] {
  const out: K8sObject[] = [];
  for (const original of objects) {
    if (rules.some((r) => r.dropObject && applies(r, side, original) && used.add(r.id))) continue;
    const o = structuredClone(original) as K8sObject;
    for (const rule of rules) {
      if (rule.dropObject || !applies(rule, side, o)) continue;
      for (const path of rule.remove ?? []) {
        visit(o as unknown as Json, path.split('/').slice(1), (parent, key) => {
          const value = (parent as JsonObject)[key] as Json;
          if (rule.whenMatches !== undefined) {
            if (typeof value === 'string' && new RegExp(rule.whenMatches).test(value)) {
              (parent as JsonObject)[key] = `<${rule.id}>`;
              used.add(rule.id);
            }
          } else if (rule.whenEquals === undefined || deepEqual(value, rule.whenEquals)) {
            if (Array.isArray(parent)) parent.splice(Number(key), 1);
            else delete (parent as JsonObject)[key];
            used.add(rule.id);
          }
        });
      }
    }
    for (const list of NAME_KEYED_LISTS) {
      visit(o as unknown as Json, list.split('/').slice(1), (parent, key) => {
        const value = (parent as JsonObject)[key];
        if (Array.isArray(value)) {
          value.sort((a, b) => JSON.stringify(canonical(a)).localeCompare(JSON.stringify(canonical(b))));
        }
      });
    }
    pruneEmpty(o as unknown as Json);
    out.push(o);
  }
  return out;
}

/** Removing a field can leave an empty map behind (e.g. annotations); an empty map and an absent one are alike. */
function pruneEmpty(node: Json): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    if (Array.isArray(node)) node.forEach(pruneEmpty);
    return;
  }
  for (const [k, v] of Object.entries(node)) {
    pruneEmpty(v);
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) delete node[k];
  }
}

/** One finding: a path and both values (undefined = absent on that side). */
export interface Difference {
  object: string;
  path: string;
  helm: unknown;
  cdk8s: unknown;
}

function diffValues(object: string, path: string, a: Json | undefined, b: Json | undefined, out: Difference[]): void {
  if (deepEqual(a, b)) return;
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object';
  if (bothObjects && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) diffValues(object, `${path}/${i}`, a[i], b[i], out);
    } else {
      const ao = a as JsonObject;
      const bo = b as JsonObject;
      for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) {
        diffValues(object, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, ao[k], bo[k], out);
      }
    }
    return;
  }
  out.push({ object, path: path || '/', helm: a, cdk8s: b });
}

/** Every difference between two normalised renderings: missing or extra objects, then field by field. */
export function compareRenderings(helm: readonly K8sObject[], cdk8s: readonly K8sObject[]): Difference[] {
  const byKey = (list: readonly K8sObject[]) => new Map(list.map((o) => [objectKey(o), o]));
  const h = byKey(helm);
  const c = byKey(cdk8s);
  const out: Difference[] = [];
  for (const key of [...new Set([...h.keys(), ...c.keys()])].sort()) {
    const a = h.get(key);
    const b = c.get(key);
    if (!a || !b) {
      out.push({ object: key, path: '/', helm: a ? 'present' : undefined, cdk8s: b ? 'present' : undefined });
      continue;
    }
    diffValues(key, '', a as unknown as Json, b as unknown as Json, out);
  }
  return out;
}

/** One line per finding, for an assertion message a person can act on. */
export function formatDifferences(diffs: readonly Difference[]): string {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  return diffs.map((d) => `  ${d.object} ${d.path}\n    helm:  ${show(d.helm)}\n    cdk8s: ${show(d.cdk8s)}`).join('\n');
}
