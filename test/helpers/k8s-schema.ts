import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import type { K8sObject } from '../../hack/lib/helm.js';
import { loadK8sSchemaSnapshot, type K8sSchemaSnapshot } from '../../hack/tools/k8s-schema-cache.js';

/**
 * Strict validation of rendered objects against the Kubernetes OpenAPI v3 schemas of one version, the way the API
 * server's own schema would judge them, but stricter where the server merely drops data: every object type with
 * fixed properties gets additionalProperties:false, so an unknown or misspelt field fails instead of vanishing.
 *
 * Kubernetes extensions are honoured: x-kubernetes-preserve-unknown-fields keeps an object open,
 * x-kubernetes-int-or-string accepts an integer or a string, x-kubernetes-list-type set/map make duplicate items
 * (or duplicate map keys, e.g. two ports with the same containerPort and protocol) fail. Formats int32, int64,
 * double, byte (base64) and date-time are checked; int-or-string is carried by its oneOf.
 */

/** A kind with no built-in schema (a CRD) that the caller deliberately lets through, with the reason. */
export interface SchemaSkip {
  apiVersion: string;
  kind: string;
  reason: string;
}

export interface SchemaIssue {
  version: string;
  object: string;
  path: string;
  message: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const REF_PREFIX = '#/components/schemas/';
/** Values copied verbatim: they are data, not schemas. */
const DATA_KEYWORDS = new Set(['default', 'enum', 'example', 'const']);

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rewrites one OpenAPI schema node into strict JSON Schema for ajv (see the file comment). */
export function strictenSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(strictenSchema);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-')) continue;
    if (key === 'discriminator') continue; // OpenAPI-only; the union members are plain optional fields
    if (key === '$ref' && typeof value === 'string' && value.startsWith(REF_PREFIX)) {
      out.$ref = `#/$defs/${value.slice(REF_PREFIX.length)}`;
    } else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, strictenSchema(schema)]));
    } else if (DATA_KEYWORDS.has(key)) {
      out[key] = value;
    } else {
      out[key] = strictenSchema(value);
    }
  }
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    delete out.format;
    out.oneOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const open = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!open && isObject(out.properties) && out.additionalProperties === undefined && out.allOf === undefined) {
    out.additionalProperties = false;
  }
  if (node['x-kubernetes-list-type'] === 'set') out.uniqueItems = true;
  const mapKeys = node['x-kubernetes-list-map-keys'];
  if (node['x-kubernetes-list-type'] === 'map' && Array.isArray(mapKeys)) out.k8sListMapKeys = mapKeys;
  return out;
}

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, strictTuples: false });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i);
  ajv.addFormat('int-or-string', true);
  ajv.addKeyword({
    keyword: 'k8sListMapKeys',
    type: 'array',
    schemaType: 'array',
    errors: true,
    validate: function listMapKeys(keys: string[], data: unknown[]): boolean {
      const seen = new Set<string>();
      for (const item of data) {
        if (typeof item !== 'object' || item === null) continue;
        const key = JSON.stringify(keys.map((name) => (item as Record<string, unknown>)[name] ?? null));
        if (seen.has(key)) {
          (listMapKeys as unknown as { errors: Partial<ErrorObject>[] }).errors = [
            { keyword: 'k8sListMapKeys', message: `has duplicate entries for list-map key (${keys.join(', ')}) = ${key}`, params: { keys } },
          ];
          return false;
        }
        seen.add(key);
      }
      return true;
    },
  });
  return ajv;
}

function documentFile(group: string, version: string): string {
  return group === '' ? `api__${version}_openapi.json` : `apis__${group}__${version}_openapi.json`;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function describe(object: K8sObject): string {
  const namespace = object.metadata?.namespace === undefined ? '' : `${object.metadata.namespace}/`;
  return `${object.apiVersion} ${object.kind} ${namespace}${object.metadata?.name ?? '<unnamed>'}`;
}

function formatError(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return `unknown field "${String(error.params.additionalProperty)}"`;
  if (error.keyword === 'enum') return `${error.message ?? 'not allowed'}: ${JSON.stringify(error.params.allowedValues)}`;
  return error.message ?? error.keyword;
}

/** Keeps the most specific errors: a failed oneOf/anyOf reports its branches, which say more. */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((error) => error.keyword !== 'oneOf' && error.keyword !== 'anyOf' && error.keyword !== 'allOf');
  return specific.length > 0 ? specific : errors;
}

const validators = new Map<string, K8sSchemaValidator>();

export class K8sSchemaValidator {
  private readonly ajv = createAjv();
  private readonly loaded = new Map<string, Map<string, string> | undefined>();
  private readonly compiled = new Map<string, ValidateFunction>();

  private constructor(
    readonly version: string,
    private readonly snapshot: K8sSchemaSnapshot,
  ) {}

  /** One validator per version per process (documents are parsed and compiled once, lazily per group-version). */
  static forVersion(version: string): K8sSchemaValidator {
    let validator = validators.get(version);
    if (validator === undefined) {
      validator = new K8sSchemaValidator(version, loadK8sSchemaSnapshot(version));
      validators.set(version, validator);
    }
    return validator;
  }

  /** Schema names by kind in one group-version's document; undefined when this version lacks the group-version. */
  private kindsOf(group: string, version: string): Map<string, string> | undefined {
    const file = documentFile(group, version);
    if (this.loaded.has(file)) return this.loaded.get(file);
    const schemas = this.snapshot.documents[file] as Record<string, Json> | undefined;
    if (schemas === undefined) {
      this.loaded.set(file, undefined);
      return undefined;
    }
    const kinds = new Map<string, string>();
    const defs: JsonObject = {};
    for (const [name, schema] of Object.entries(schemas)) {
      defs[name] = strictenSchema(schema);
      const gvks = isObject(schema) ? (schema['x-kubernetes-group-version-kind'] as unknown as GroupVersionKind[] | undefined) : undefined;
      for (const gvk of gvks ?? []) {
        if (gvk.group === group && gvk.version === version) kinds.set(gvk.kind, name);
      }
    }
    this.ajv.addSchema({ $id: this.schemaId(file), $defs: defs } as AnySchema);
    this.loaded.set(file, kinds);
    return kinds;
  }

  private schemaId(file: string): string {
    return `urn:reas:k8s:${this.version}:${file.replace(/\.json$/, '')}`;
  }

  /** The issues of one object (empty = valid). A kind this version does not know is an issue too. */
  validate(object: K8sObject): SchemaIssue[] {
    const { group, version } = splitApiVersion(object.apiVersion);
    const name = describe(object);
    const kinds = this.kindsOf(group, version);
    const schemaName = kinds?.get(object.kind);
    if (schemaName === undefined) {
      return [{ version: this.version, object: name, path: '', message: `Kubernetes ${this.version} has no schema for ${object.apiVersion} ${object.kind}` }];
    }
    const file = documentFile(group, version);
    const key = `${file}#${schemaName}`;
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      validate = this.ajv.getSchema(`${this.schemaId(file)}#/$defs/${schemaName}`);
      if (validate === undefined) throw new Error(`schema ${schemaName} did not compile`);
      this.compiled.set(key, validate);
    }
    if (validate(object)) return [];
    return relevantErrors(validate.errors ?? []).map((error) => ({
      version: this.version,
      object: name,
      path: error.instancePath === '' ? '/' : error.instancePath,
      message: formatError(error),
    }));
  }

  /**
   * The issues of every object, except kinds on the explicit skip list (CRDs, whose schemas are not built in).
   */
  validateAll(objects: readonly K8sObject[], skip: readonly SchemaSkip[] = []): SchemaIssue[] {
    const issues: SchemaIssue[] = [];
    for (const object of objects) {
      if (skip.some((entry) => entry.apiVersion === object.apiVersion && entry.kind === object.kind)) continue;
      issues.push(...this.validate(object));
    }
    return issues;
  }
}

/** One line per issue, for assertion messages. */
export function formatSchemaIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((issue) => `k8s ${issue.version}: ${issue.object} ${issue.path}: ${issue.message}`).join('\n');
}
