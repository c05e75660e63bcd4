import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REQUIRED_PERMISSIONS, type Permission } from '../../../src/engine/targets/kubernetes/permissions.ts';

const dir = join(import.meta.dirname, '../../../deploy/kubernetes');

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  nonResourceURLs?: string[];
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  spec?: { template?: { spec?: { serviceAccountName?: string } } };
}

function load(): { file: string; doc: Doc }[] {
  const docs: { file: string; doc: Doc }[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const parsed of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      expect(parsed.errors, `${file} parses`).toEqual([]);
      const doc = parsed.toJS() as Doc | null;
      if (doc) docs.push({ file, doc });
    }
  }
  return docs;
}

const FORBIDDEN_RESOURCES = [/^secrets(\/.*)?$/, /^pods\/(exec|attach|portforward)$/, /\*/];
const FORBIDDEN_VERBS = ['escalate', 'bind', 'impersonate', '*'];

/** What is wrong with a set of rules; empty when nothing is. */
function problemsOf(rules: readonly Rule[]): string[] {
  const problems: string[] = [];
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) if (group.includes('*')) problems.push(`apiGroups has ${group}`);
    for (const resource of rule.resources ?? []) {
      if (FORBIDDEN_RESOURCES.some((re) => re.test(resource))) problems.push(`resource ${resource}`);
    }
    for (const verb of rule.verbs ?? []) if (FORBIDDEN_VERBS.includes(verb)) problems.push(`verb ${verb}`);
    if (rule.nonResourceURLs) problems.push('nonResourceURLs');
  }
  return problems;
}

/** The granted set as `group/resource:verb` strings. */
function granted(rules: readonly Rule[]): Set<string> {
  const set = new Set<string>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) for (const verb of rule.verbs ?? []) set.add(`${group}/${resource}:${verb}`);
    }
  }
  return set;
}

function needed(permissions: readonly Permission[], scope: Permission['scope']): Set<string> {
  const set = new Set<string>();
  for (const p of permissions.filter((q) => q.scope === scope)) for (const verb of p.verbs) set.add(`${p.apiGroup}/${p.resource}:${verb}`);
  return set;
}

describe('deploy/kubernetes RBAC', () => {
  const docs = load();
  const roles = docs.filter(({ doc }) => doc.kind === 'Role' || doc.kind === 'ClusterRole');
  const targetRole = docs.find(({ doc }) => doc.kind === 'Role' && doc.metadata.name === 'hoist-target')?.doc;
  const clusterRoles = roles.filter(({ doc }) => doc.kind === 'ClusterRole').map(({ doc }) => doc);

  it('every file parses and holds Kubernetes objects', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const { file, doc } of docs) {
      expect(doc.apiVersion, file).toBeTruthy();
      expect(doc.kind, file).toBeTruthy();
      expect(doc.metadata?.name, file).toBeTruthy();
    }
  });

  it('no rule touches secrets, exec/attach/port-forward, wildcards or privilege verbs', () => {
    expect(roles.length).toBeGreaterThan(0);
    for (const { file, doc } of roles) expect(problemsOf(doc.rules ?? []), `${file}: ${doc.kind} ${doc.metadata.name}`).toEqual([]);
  });

  it('the target Role grants every verb the target code uses, and nothing else', () => {
    expect(targetRole).toBeDefined();
    const rules = targetRole?.rules ?? [];
    const want = needed(REQUIRED_PERMISSIONS, 'namespace');
    const have = granted(rules);
    expect([...want].filter((p) => !have.has(p)), 'used by the code but not granted').toEqual([]);
    expect([...have].filter((p) => !want.has(p)), 'granted but never used').toEqual([]);
  });

  it('the ClusterRole grants only what the code needs cluster-wide (namespaces get/create)', () => {
    const want = needed(REQUIRED_PERMISSIONS, 'cluster');
    expect([...want].sort()).toEqual(['/namespaces:create', '/namespaces:get']);
    const have = granted(clusterRoles.flatMap((r) => r.rules ?? []));
    expect([...have].sort()).toEqual([...want].sort());
  });

  it('bindings give the roles to the hoist service account, which both Deployments run as', () => {
    const bindings = docs.filter(({ doc }) => doc.kind === 'RoleBinding' || doc.kind === 'ClusterRoleBinding').map(({ doc }) => doc);
    for (const role of roles.map(({ doc }) => doc)) {
      const binding = bindings.find((b) => b.roleRef?.kind === role.kind && b.roleRef.name === role.metadata.name);
      expect(binding, `a binding of ${role.kind} ${role.metadata.name}`).toBeDefined();
      expect(binding?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'hoist', namespace: 'hoist' }]);
      if (role.kind === 'Role') expect(binding?.metadata.namespace).toBe(role.metadata.namespace);
    }
    // The target Role is never granted cluster-wide.
    expect(bindings.some((b) => b.kind === 'ClusterRoleBinding' && b.roleRef?.name === 'hoist-target')).toBe(false);
    expect(docs.some(({ doc }) => doc.kind === 'ServiceAccount' && doc.metadata.name === 'hoist' && doc.metadata.namespace === 'hoist')).toBe(true);
    const deployments = docs.filter(({ doc }) => doc.kind === 'Deployment').map(({ doc }) => doc);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['hoist-server', 'hoist-worker']);
    for (const d of deployments) expect(d.spec?.template?.spec?.serviceAccountName, d.metadata.name).toBe('hoist');
  });

  it('the checks catch drift and dangerous rules (they can fail)', () => {
    expect(problemsOf([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }])).toEqual(['resource secrets']);
    expect(problemsOf([{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }])).toEqual(['resource pods/exec']);
    expect(problemsOf([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])).toEqual(['apiGroups has *', 'resource *', 'verb *']);
    expect(problemsOf([{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['bind', 'escalate'] }])).toEqual(['verb bind', 'verb escalate']);
    const missing = needed([...REQUIRED_PERMISSIONS, { apiGroup: 'apps', resource: 'daemonsets', verbs: ['patch'], scope: 'namespace' }], 'namespace');
    const have = granted(targetRole?.rules ?? []);
    expect([...missing].filter((p) => !have.has(p))).toEqual(['apps/daemonsets:patch']);
  });
});
