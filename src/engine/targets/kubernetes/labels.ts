import { createHash } from 'node:crypto';

/** The standard labels Hoist puts on every object and pod template it renders. */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  partOf: 'app.kubernetes.io/part-of',
  version: 'app.kubernetes.io/version',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const ANNOTATIONS = {
  deploymentId: 'hoist.dev/deployment-id',
  version: 'hoist.dev/version',
  /** What `kubectl rollout restart` sets on the pod template. */
  restartedAt: 'kubectl.kubernetes.io/restartedAt',
  /** Set by the deployment controller on a Deployment and its ReplicaSets. */
  revision: 'deployment.kubernetes.io/revision',
} as const;

/** Added by the deployment controller to each ReplicaSet's template; never part of what Hoist applies. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';

export const MANAGER = 'hoist';

const MAX_LABEL = 63;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** `app.kubernetes.io/instance`: one environment of one app. */
export function instanceOf(app: string, env: string): string {
  return labelValue(`${app}-${env}`);
}

/**
 * Makes any text a valid label value (at most 63 characters of `[A-Za-z0-9-_.]`, alphanumeric
 * at both ends). A value that had to be shortened ends in a hash of the original, so two long
 * values that share a prefix still differ.
 */
export function labelValue(text: string): string {
  if (text.length <= MAX_LABEL && LABEL_VALUE.test(text)) return text;
  const cleaned = trimEnds(text.replace(/[^A-Za-z0-9_.-]+/g, '-'));
  if (cleaned.length <= MAX_LABEL && cleaned !== '') return cleaned;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  const head = trimEnds(cleaned.slice(0, MAX_LABEL - hash.length - 1));
  return head === '' ? hash : `${head}-${hash}`;
}

/**
 * The version as a label value: a commit SHA becomes its 12-character short form, an image
 * reference its tag (or digest); the full version stays in the `hoist.dev/version` annotation.
 */
export function versionLabel(version: string): string {
  if (/^[0-9a-f]{40}$/i.test(version)) return version.slice(0, 12).toLowerCase();
  const at = version.indexOf('@');
  if (at >= 0) return labelValue(version.slice(at + 1).replace(':', '-').slice(0, 19));
  const lastSlash = version.lastIndexOf('/');
  const colon = version.indexOf(':', lastSlash + 1);
  const looksLikeImage = lastSlash >= 0 || colon >= 0;
  if (!looksLikeImage) return labelValue(version);
  return labelValue(colon >= 0 ? version.slice(colon + 1) : 'latest');
}

/** Selector labels: name and instance only, so they never change (a selector is immutable). */
export function selectorLabels(app: string, env: string, service: string): Record<string, string> {
  return { [LABELS.name]: service, [LABELS.instance]: instanceOf(app, env) };
}

/** `key=value,...` for the API's labelSelector parameter. */
export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Every object Hoist manages in one environment. */
export function environmentSelector(app: string, env: string): string {
  return selectorString({ [LABELS.instance]: instanceOf(app, env), [LABELS.managedBy]: MANAGER });
}

function trimEnds(text: string): string {
  return text.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}
