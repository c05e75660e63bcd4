import type { Command } from '../domain/command.ts';
import { approvalFrom, deploymentFrom } from './wire.ts';
import { approversText } from './lines.ts';

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** `shop/staging DEPLOYED — web DEPLOYED a1b2c3d; queue: #13 deploy (next); locked by @alice: incident 88`. */
function environmentLine(view: Json): string {
  const services = Array.isArray(view.services) ? view.services.map(asObject) : [];
  const queue = Array.isArray(view.queue) ? view.queue.map(asObject) : [];
  const lock = view.lock === null || view.lock === undefined ? null : asObject(view.lock);
  const parts = [`${str(view.app)}/${str(view.env)} ${str(view.status) ?? ''}`.trimEnd()];
  const running = services.map((s) => `${str(s.name)} ${str(s.status)}${str(s.version) ? ` ${str(s.version)!.slice(0, 12)}` : ''}`);
  if (running.length > 0) parts.push(running.join(', '));
  if (queue.length > 0) parts.push(`queue: ${queue.map((q) => `#${String(q.id)} ${str(q.action)} ${q.position === null ? '(running)' : `(${String(q.position)})`}`).join(', ')}`);
  if (lock !== null) parts.push(`locked by @${str(asObject(lock.owner).name) ?? '?'}${str(lock.reason) ? `: ${str(lock.reason)}` : ''}`);
  return parts.join(' — ');
}

/** What a command that is answered at once (not followed) printed: the answer in one or a few lines. */
export function describeAnswer(command: Command, body: unknown): string {
  const answer = asObject(body);
  switch (command.verb) {
    case 'cancel': {
      const d = deploymentFrom(answer.deployment);
      return answer.outcome === 'removed' ? `#${d.id} canceled: it had not started and will not run` : `#${d.id} is canceling: it was told to stop`;
    }
    case 'approve':
    case 'reject': {
      const d = deploymentFrom(answer.deployment);
      const progress = approvalFrom(answer.approval);
      const still = progress !== null && answer.outcome === 'counted' ? `; still needed: ${approversText(progress)}` : '';
      const said: Record<string, string> = {
        counted: 'your approval is counted',
        approved: 'approved: every rule holds, it goes ahead',
        'already-counted': 'your approval was already counted',
        rejected: 'rejected',
      };
      return `#${d.id} ${said[str(answer.outcome) ?? ''] ?? str(answer.outcome) ?? d.status}${still}`;
    }
    case 'lock': {
      const lock = asObject(answer.lock);
      const until = str(lock.expiresAt) ? ` until ${str(lock.expiresAt)}` : ' until unlocked';
      return `${command.app}/${command.env} ${answer.renewed === true ? 'lock renewed' : 'locked'}${until}`;
    }
    case 'unlock':
      return `${command.app}/${command.env} unlocked${answer.forced === true ? ' (forced)' : ''}`;
    case 'status':
      return Array.isArray(answer.items) ? answer.items.map((v) => environmentLine(asObject(v))).join('\n') : environmentLine(answer);
    default:
      return JSON.stringify(body);
  }
}
