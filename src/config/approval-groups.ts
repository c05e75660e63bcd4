import { unmeetableRule } from '../domain/approval.ts';
import type { HoistConfig } from './hoist-config.ts';
import { readYamlMapping } from './yaml-document.ts';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The approval rules of `config` that can never be met, now that the members of the user
 * groups they name are known (`membersOf`, a group's handle → member ids, as one read of
 * Slack's groups gives them): `file:line: path: why` for each, as `hoist config check`
 * says every other error. `text` is hoist.yaml as read, for the lines.
 */
export function unmeetableApprovalRules(config: HoistConfig, text: string, membersOf: (handle: string) => readonly string[] | null): string[] {
  const { data, lineOf } = readYamlMapping(text, config.file);
  const problems: string[] = [];
  for (const app of config.apps.values()) {
    for (const env of app.environments.values()) {
      if (env.approval === null) continue;
      const at = ['apps', app.name, 'environments', env.name, 'approval'];
      const raw = at.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), data);
      const written = isRecord(raw) && raw.rules !== undefined ? 'rules' : 'required';
      env.approval.rules.forEach((rule, index) => {
        const why = unmeetableRule(rule, membersOf);
        if (why === null) return;
        const path = written === 'rules' ? [...at, 'rules', index, 'count'] : [...at, 'required'];
        problems.push(`${config.file}:${lineOf(path)}: ${path.join('.')}: ${why}`);
      });
    }
  }
  return problems;
}
