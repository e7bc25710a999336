/**
 * The standard app.kubernetes.io/* labels, built the way the Helm chart builds them so the two renderers label
 * objects alike. Selectors use only name + instance: those two never change across upgrades, while version and
 * component would make a selector immutable-field change on every release.
 */
export interface LabelProps {
  /** app.kubernetes.io/name: the component's chart name (`api`, `redis`, `test`). */
  readonly name: string;
  /** app.kubernetes.io/instance: the release name. */
  readonly instance: string;
  /** app.kubernetes.io/version: the application version. */
  readonly version: string;
  /** app.kubernetes.io/component: the role of the object in the system. */
  readonly component: string;
  /** app.kubernetes.io/part-of: the whole application. @default 'reas' */
  readonly partOf?: string;
}

/** Labels that select pods: only those that stay fixed for the life of a release. */
export function selectorLabels(props: Pick<LabelProps, 'name' | 'instance'>): Record<string, string> {
  return {
    'app.kubernetes.io/name': props.name,
    'app.kubernetes.io/instance': props.instance,
  };
}

/** Every label an object of this app carries. managed-by says which tool wrote it, as Helm's chart does. */
export function standardLabels(props: LabelProps): Record<string, string> {
  return {
    ...selectorLabels(props),
    'app.kubernetes.io/version': props.version,
    'app.kubernetes.io/component': props.component,
    'app.kubernetes.io/part-of': props.partOf ?? 'reas',
    'app.kubernetes.io/managed-by': 'cdk8s',
  };
}

/** Helm's `trunc 63 | trimSuffix "-"`: a name that fits a DNS label. */
export function truncName(name: string, max = 63): string {
  return name.slice(0, max).replace(/-+$/, '');
}

/**
 * Every object name, as the chart derives it from the release (templates/_names.tpl): defined here once, so the two
 * renderers agree for any release name.
 */
// At most 46 characters of the release: the StatefulSet's name must leave room for its revision-hash label.
const redisName = (release: string) => `${truncName(release, 46)}-redis`;
export const names = {
  api: (release: string) => truncName(`${release}-api`),
  test: (release: string) => truncName(`${release}-test`),
  redis: redisName,
  redisHeadless: (release: string) => truncName(`${redisName(release)}-headless`),
};
