/**
 * Request paths, as the API server lays them out:
 * /api/v1/{plural}[/{name}[/{sub}]] for cluster-scoped kinds and lists across
 * namespaces, /api/v1/namespaces/{ns}/{plural}[/{name}[/{sub}]], the same under
 * /apis/{group}/v1, and the legacy /watch/ prefix.
 */
import { byPlural, GROUPS, type ResourceInfo } from './resources.ts';

export type Route =
  | { kind: 'discovery'; doc: 'core-versions' | 'groups' | 'resources' | 'group'; group: string }
  | {
    kind: 'resource';
    info: ResourceInfo;
    /** null: cluster-scoped; undefined: a namespaced kind across all namespaces. */
    namespace: string | null | undefined;
    name?: string;
    sub?: string;
    legacyWatch: boolean;
  };

export function parseRoute(pathname: string): Route | undefined {
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'discovery', doc: 'core-versions', group: '' };
    if (parts[1] !== 'v1') return undefined;
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'discovery', doc: 'groups', group: '' };
    group = parts[1] as string;
    if (!(GROUPS as readonly string[]).includes(group)) return undefined;
    if (parts.length === 2) return { kind: 'discovery', doc: 'group', group };
    if (parts[2] !== 'v1') return undefined;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) return { kind: 'discovery', doc: 'resources', group };
  const legacyWatch = rest[0] === 'watch';
  if (legacyWatch) rest = rest.slice(1);

  const namespaced = rest[0] === 'namespaces' && rest.length >= 3 ? byPlural(group, rest[2] as string) : undefined;
  if (namespaced?.namespaced) {
    if (rest.length > 5) return undefined;
    return { kind: 'resource', info: namespaced, namespace: rest[1] as string, name: rest[3], sub: rest[4], legacyWatch };
  }
  const info = byPlural(group, rest[0] as string);
  if (!info) return undefined;
  if (info.namespaced) return rest.length === 1 ? { kind: 'resource', info, namespace: undefined, legacyWatch } : undefined;
  if (rest.length > 3) return undefined;
  return { kind: 'resource', info, namespace: null, name: rest[1], sub: rest[2], legacyWatch };
}
