import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ChatOrigin, Deployment } from '../../domain/deployment.ts';
import { isFinal } from '../../domain/status.ts';
import type { HoistService } from '../../service/contract.ts';
import { offeredAction } from '../card-actions.ts';
import { executePlan } from '../execute-plan.ts';
import { interpret, type Plan } from '../interpret.ts';
import { outcomeLine, succeeded } from './outcome.ts';
import { Screen } from './screen.ts';
import { createShellChat, type ShellChat } from './shell-chat.ts';

export interface ShellEdgeOptions {
  input: Readable;
  output: Writable;
  api: HoistService;
  /** The login of whoever types; requests are made as `shell:<user>`. */
  user: string;
  /** A prompt, and no waiting for deployments when input ends. */
  interactive: boolean;
  now?: () => Date;
  /** How often a piped shell looks up the deployments it waits for. */
  pollMs?: number;
}

export interface ShellEdge {
  chat: ShellChat;
  /**
   * The exit code: 0 when every command was taken and every deployment succeeded, else 1;
   * null when piped input ended before any command (nothing to run or wait for).
   */
  done: Promise<number | null>;
  close(): void;
}

interface Tracked {
  id: number;
  /** The deployment once a lookup found it finished. */
  final: Deployment | null;
  finalSeenAt: number | null;
  /** When the chat last printed something final for it (the notifier's work). */
  shownFinalAt: number | null;
}

const ORIGIN: ChatOrigin = { kind: 'shell' };
/** After the chat printed a deployment's end, its last thread lines may still be on their way. */
const QUIET_MS = 300;
/** Without a notifier printing, a finished deployment counts as shown after this long. */
const UNSHOWN_GRACE_MS = 2_000;

/**
 * The terminal chat, like Hubot's shell adapter: the chat grammar on stdin,
 * answers, cards and thread replies as text on stdout. Piped, it waits for
 * the deployments it started and ends with an exit code.
 */
export function createShellEdge(options: ShellEdgeOptions): ShellEdge {
  const now = options.now ?? (() => new Date());
  const pollMs = options.pollMs ?? 200;
  const screen = new Screen(options.output, options.interactive);
  const tracked = new Map<number, Tracked>();
  let rejected = false;
  let finished = false;
  /** Whether any line was a command (not blank, not a comment). */
  let commanded = false;
  /** A Reject choice asked for the reason: the next line is it. */
  let reasonFor: number | null = null;
  let poller: NodeJS.Timeout | null = null;
  let resolveDone: (code: number | null) => void = () => {};
  const done = new Promise<number | null>((resolve) => (resolveDone = resolve));

  const chat = createShellChat(screen, (deployment) => {
    const entry = tracked.get(deployment.id);
    if (entry !== undefined && isFinal(deployment.status)) entry.shownFinalAt = Date.now();
  });

  const exitCode = (): number => {
    if (rejected) return 1;
    for (const entry of tracked.values()) {
      if (entry.final === null || !succeeded(entry.final)) return 1;
    }
    return 0;
  };

  const finish = (code: number | null): void => {
    if (finished) return;
    finished = true;
    if (poller !== null) clearInterval(poller);
    screen.close();
    resolveDone(code);
  };

  /** A card's numbered choice: what its button would do; an action once per card and choice, Logs each time. */
  const handleChoice = async (n: number): Promise<void> => {
    const choice = chat.choice(n);
    if (choice === null) {
      screen.print(`There is no choice ${n}: type the number shown under a card ([1], [2], …), or a command (help).`);
      rejected = true;
      return;
    }
    const deployment = await options.api.getDeployment(choice.deploymentId);
    const offered = deployment === null ? null : offeredAction(deployment, choice.kind);
    if (deployment === null || offered === null) {
      const now = deployment === null ? 'gone' : deployment.status;
      screen.print(`Choice ${n} (${choice.kind} for #${choice.deploymentId}) is no longer offered: #${choice.deploymentId} is ${now}.`);
      rejected = true;
      return;
    }
    if (offered.needsReason) {
      reasonFor = choice.deploymentId;
      screen.print(`Why do you reject #${choice.deploymentId}? Type the reason on the next line (an empty line rejects nothing).`);
      return;
    }
    screen.print(`> ${offered.command}`);
    // A vote is a request each time (the service counts a person once); an action once per card and choice.
    await handleCommand(offered.command, offered.once && !offered.perUse ? `shell-choice:${choice.deploymentId}:${choice.kind}` : undefined);
  };

  const handleReason = async (id: number, reason: string): Promise<void> => {
    reasonFor = null;
    if (reason === '') {
      screen.print(`No reason given: #${id} is not rejected.`);
      return;
    }
    screen.print(`> reject #${id} ${reason}`);
    // The reason as typed, quotes and all: it is not read by the grammar.
    await carryOut({ kind: 'operate', command: { verb: 'reject', id, reason } }, undefined);
  };

  const handleLine = async (line: string): Promise<void> => {
    const text = line.trim();
    if (reasonFor !== null) return handleReason(reasonFor, text);
    if (text === '' || text.startsWith('#')) return;
    commanded = true;
    if (options.interactive && (text === 'exit' || text === 'quit')) {
      lines.close();
      return;
    }
    if (/^\d+$/.test(text)) return handleChoice(Number(text));
    return handleCommand(text, undefined);
  };

  const handleCommand = (text: string, requestKey: string | undefined): Promise<void> =>
    carryOut(interpret(text, { api: options.api, origin: ORIGIN, prefix: '' }), requestKey);

  const carryOut = async (plan: Plan, requestKey: string | undefined): Promise<void> => {
    await executePlan(options.api, plan, {
      requester: { id: `shell:${options.user}`, name: options.user },
      origin: ORIGIN,
      trigger: 'shell',
      prefix: '',
      // Only a numbered choice carries a key: the same choice again requests nothing new.
      ...(requestKey === undefined ? {} : { requestKey, control: 'choice' as const }),
      now: now(),
      mention: chat.mention,
      answer: async (message) => {
        screen.print(message.plain ?? message.text);
        if (message.rejected) rejected = true;
      },
      requested: (deployment) => {
        if (!tracked.has(deployment.id)) tracked.set(deployment.id, { id: deployment.id, final: null, finalSeenAt: null, shownFinalAt: null });
      },
    });
  };

  /** Piped: wait until every deployment this shell started has finished and its end has been printed. */
  const waitForDeployments = (): void => {
    let checking = false;
    const check = async (): Promise<void> => {
      const at = Date.now();
      for (const entry of tracked.values()) {
        if (entry.final !== null) continue;
        const deployment = await options.api.getDeployment(entry.id);
        if (deployment !== null && isFinal(deployment.status)) {
          entry.final = deployment;
          entry.finalSeenAt = at;
        }
      }
      const settled = [...tracked.values()].every(
        (entry) =>
          entry.final !== null &&
          (entry.shownFinalAt !== null ? at - entry.shownFinalAt >= QUIET_MS : at - (entry.finalSeenAt ?? at) >= UNSHOWN_GRACE_MS),
      );
      if (!settled) return;
      for (const entry of tracked.values()) screen.print(outcomeLine(entry.final!));
      finish(exitCode());
    };
    const tick = (): void => {
      if (checking || finished) return;
      checking = true;
      check()
        .catch((error: unknown) => screen.print(`error: could not look up deployments: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (checking = false));
    };
    poller = setInterval(tick, pollMs);
    tick();
  };

  const lines = createInterface({ input: options.input, crlfDelay: Infinity, terminal: false });
  // One line at a time, in order: a deploy is requested before the next line is read.
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      if (finished) return;
      screen.setBusy(true);
      try {
        await handleLine(line);
      } catch (error) {
        rejected = true;
        screen.print(`error: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        screen.setBusy(false);
      }
    });
  });
  lines.on('close', () => {
    void queue.then(() => {
      if (finished) return;
      screen.endInput();
      // Leaving an interactive session is not a failure; deployments go on without the terminal.
      if (options.interactive) finish(0);
      else if (!commanded) finish(null);
      else if (tracked.size === 0) finish(exitCode());
      else waitForDeployments();
    });
  });

  if (options.interactive) {
    screen.print('Hoist terminal chat. Type `help` for the commands, `exit` to leave.');
  }

  return {
    chat,
    done,
    close() {
      lines.close();
      // Piped and closed before the end: what has not finished did not succeed.
      finish(options.interactive ? 0 : exitCode());
    },
  };
}
