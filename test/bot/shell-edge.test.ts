import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createNotifier } from '../../src/bot/notifier.ts';
import { createShellEdge } from '../../src/bot/shell/shell-edge.ts';
import { memoryHoist, runToEnd, type MemoryHoist } from './memory-hoist.ts';

const logger = pino({ level: 'silent' });

/** A shell on a PassThrough, with the notifier printing into it as in `hoist start`. */
function startShell(options: { interactive?: boolean; hoist?: MemoryHoist; notifier?: boolean } = {}) {
  const hoist =
    options.hoist ??
    memoryHoist({
      run: (deployment, h) => {
        // The run starts a little later, as a worker would pick it up.
        setTimeout(() => void runToEnd(deployment, h).catch(() => {}), 20);
      },
    });
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const shell = createShellEdge({ input, output, api: hoist.api, user: 'alice', interactive: options.interactive ?? false, pollMs: 20 });
  const notifier = createNotifier({ feed: hoist.feed, api: hoist.api, cards: hoist.cards, chats: { shell: shell.chat }, logger });
  if (options.notifier !== false) notifier.start();
  return {
    hoist,
    input,
    shell,
    printed: () => printed,
    async finish(lines: string[]): Promise<{ code: number | null; out: string }> {
      input.end(lines.map((l) => `${l}\n`).join(''));
      const code = await shell.done;
      await notifier.stop();
      return { code, out: printed };
    },
  };
}

describe('terminal chat, piped', () => {
  it('deploys, prints the card and thread lines, waits for the end and exits 0', async () => {
    const t = startShell();
    const { code, out } = await t.finish(['/hoist deploy hello to local']);
    expect(code).toBe(0);
    expect(out).toMatch(/#1 deploy hello to local/i);
    expect(out).toContain('  #1 │ web → BUILDING');
    expect(out).toContain('  #1 │ web → DEPLOYING');
    expect(out).toMatch(/ {2}#1 │ #1 DEPLOYED/);
    // The outcome comes last, after everything the deployment printed.
    expect(out.trimEnd().split('\n').at(-1)).toBe('#1 hello/local DEPLOYED');
    expect(t.hoist.requests[0]!.options).toMatchObject({
      requester: { id: 'shell:alice', name: 'alice' },
      origin: { kind: 'shell' },
      trigger: 'shell',
    });
    expect(out).not.toContain('hoist> ');
  });

  it('takes commands without the /hoist prefix and as aliases', async () => {
    const t = startShell();
    const { code, out } = await t.finish(['deploy hello to local', '/deploy hello to production']);
    expect(code).toBe(0);
    expect(t.hoist.requests.map((r) => r.command)).toEqual([
      { verb: 'deploy', scope: { app: 'hello', services: null }, env: 'local', ref: null },
      { verb: 'deploy', scope: { app: 'hello', services: null }, env: 'production', ref: null },
    ]);
    expect(out).toContain('#1 hello/local DEPLOYED');
    expect(out).toContain('#2 hello/production DEPLOYED');
  });

  it('exits 1 when a deployment fails, with the failure in the thread', async () => {
    const t = startShell();
    const { code, out } = await t.finish(['deploy hello@broken to local']);
    expect(code).toBe(1);
    expect(out).toContain('@alice');
    expect(out).toContain('  #1 │   | hoist-build-boom: exit 3');
    expect(out).toMatch(/#1 hello\/local BUILD_ERROR — build of web failed\n$/);
  });

  it('answers a command it cannot read with the reason, usage and did-you-mean, and exits 1', async () => {
    const t = startShell();
    const { code, out } = await t.finish(['deploi hello to local']);
    expect(code).toBe(1);
    expect(out).toContain('unknown command `deploi`.');
    expect(out).toContain('Did you mean `deploy`?');
    expect(out).toContain('Usage: `deploy <app>');
    expect(t.hoist.requests).toHaveLength(0);
  });

  it('answers an unknown app with a did-you-mean from the catalog, and exits 1 even when another command succeeds', async () => {
    const t = startShell();
    const { code, out } = await t.finish(['deploy helo to local', 'deploy hello to local']);
    expect(code).toBe(1);
    expect(out).toContain('there is no app "helo".');
    expect(out).toContain('Did you mean `hello`?');
    expect(out).toContain('#1 hello/local DEPLOYED');
  });

  it('shows the service’s refusal of a verb it does not carry out yet', async () => {
    const t = startShell();
    const { code, out } = await t.finish(['rollback hello in local']);
    expect(code).toBe(1);
    expect(out).toContain('`rollback` is not available in this version of Hoist yet');
  });

  it('prints status and help, and exits 0 when nothing was rejected', async () => {
    const t = startShell();
    const { code, out } = await t.finish(['status hello', 'help deploy', '# a comment', '']);
    expect(code).toBe(0);
    expect(out).toContain('hello/local');
    expect(out).toContain('hello/production');
    expect(out).toContain('Usage: `deploy <app>');
  });

  it('ends with null, not an exit code, when the input ends before any command', async () => {
    const t = startShell();
    const { code, out } = await t.finish(['# nothing but a comment', '']);
    expect(code).toBeNull();
    expect(out).toBe('');
  });

  it('finishes without a notifier too, from what the deployments say', async () => {
    const t = startShell({ notifier: false });
    const { code, out } = await t.finish(['deploy hello to local']);
    expect(code).toBe(0);
    expect(out).toContain('#1 hello/local DEPLOYED');
  });
});

describe('terminal chat, interactive', () => {
  it('shows a prompt, answers, and ends with 0 on exit', async () => {
    const t = startShell({ interactive: true });
    t.input.write('help\n');
    await expect.poll(() => t.printed()).toContain('*Hoist commands*');
    t.input.write('exit\n');
    expect(await t.shell.done).toBe(0);
    const out = t.printed();
    expect(out.startsWith('Hoist terminal chat.')).toBe(true);
    expect(out.match(/hoist> /g)?.length).toBeGreaterThanOrEqual(2);
  });

  it('prints deployment lines as they come and keeps a prompt after them', async () => {
    const t = startShell({ interactive: true });
    t.input.write('deploy hello to local\n');
    await expect.poll(() => t.printed(), { timeout: 3000 }).toContain('  #1 │ #1 DEPLOYED');
    await expect.poll(() => t.printed().endsWith('hoist> ')).toBe(true);
    t.shell.close();
    expect(await t.shell.done).toBe(0);
  });
});
