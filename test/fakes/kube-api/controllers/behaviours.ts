/**
 * What a container does, chosen by its image: the test says `imageBehaviour()`
 * and pods whose image matches behave that way in the fake kubelet.
 */
import type { PodBehaviour } from '../types.ts';

/** A container's life, in fake seconds from its start. */
export interface Program {
  pullFails: boolean;
  /** Set: the container cannot be created (CreateContainerConfigError). */
  configError?: string;
  /** Seconds from start to Ready; null: never ready. */
  readyAfter: number | null;
  /** Seconds from start to exit; undefined: runs until stopped. */
  exitAfter?: number;
  exitCode: number;
  /** terminated.reason when it exits. */
  exitReason: string;
  logs: string[];
}

interface Rule {
  pattern: string | RegExp;
  behaviour: PodBehaviour;
}

export class Behaviours {
  private readonly rules: Rule[] = [];

  set(pattern: string | RegExp, behaviour: PodBehaviour): void {
    this.rules.push({ pattern, behaviour });
  }

  /** The most recent matching rule; else `ready`, or `succeed` for a Job's pod. */
  for(image: string, jobPod: boolean): PodBehaviour {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const { pattern, behaviour } = this.rules[i] as Rule;
      if (typeof pattern === 'string' ? image.includes(pattern) : pattern.test(image)) return behaviour;
    }
    return jobPod ? { kind: 'succeed' } : { kind: 'ready' };
  }
}

export function programOf(behaviour: PodBehaviour, podReadySeconds: number): Program {
  const base = { pullFails: false, readyAfter: null, exitCode: 0, exitReason: 'Completed', logs: [] as string[] };
  switch (behaviour.kind) {
    case 'ready':
      return { ...base, readyAfter: podReadySeconds, logs: behaviour.logs ?? [] };
    case 'slow':
      return { ...base, readyAfter: behaviour.readySeconds, logs: behaviour.logs ?? [] };
    case 'never-ready':
      return { ...base, logs: behaviour.logs ?? [] };
    case 'pull-error':
      return { ...base, pullFails: true };
    case 'config-error':
      return { ...base, configError: behaviour.message ?? 'configmap "app-config" not found' };
    case 'crash-loop': {
      const exitCode = behaviour.exitCode ?? 1;
      return { ...base, exitAfter: 1, exitCode, exitReason: exitCode === 0 ? 'Completed' : 'Error', logs: behaviour.logs ?? [] };
    }
    case 'oom':
      return { ...base, exitAfter: 1, exitCode: 137, exitReason: 'OOMKilled' };
    case 'succeed':
      return { ...base, readyAfter: 0, exitAfter: behaviour.seconds ?? 1, logs: behaviour.logs ?? [] };
    case 'fail': {
      const exitCode = behaviour.exitCode ?? 1;
      return { ...base, readyAfter: 0, exitAfter: behaviour.seconds ?? 1, exitCode, exitReason: exitCode === 0 ? 'Completed' : 'Error', logs: behaviour.logs ?? [] };
    }
  }
}
