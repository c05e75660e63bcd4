import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { DOCKER_HOST, REGISTRY, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';

describe('approval in the terminal chat, whose user is the requester', () => {
  const app = randomName('apsh');
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  let hoist: TestHoist;
  let repo: GitFixture;
  const shas: string[] = [];

  beforeAll(async () => {
    repo = createGitFixture('hoist-approval-shell');
    for (let i = 0; i < 2; i++) shas.push(repo.commit(`v${i}`, webAppFiles(`hello ${app} ${i}`)));
    hoist = await startTestHoist({
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${repo.dir}
    services:
      web: { type: application, build: { context: . }, port: 8080, health: { path: /, timeout: 30s } }
    environments:
      production: { target: engine, approval: { required: 1, approvers: [U0BOB, "@sre"] } }
      own: { target: engine, approval: { required: 1, approvers: ["shell:alice"], selfApproval: true } }
`,
      shell: { input, output, interactive: false, user: 'alice' },
    });
  });

  afterAll(async () => {
    input.end();
    await hoist?.stop();
    await removeAppContainers(app);
    repo?.remove();
  });

  /** Resolves once the terminal printed something matching `pattern` after `from` (an offset in what it printed). */
  async function printedMatch(pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(printed.slice(from));
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${printed.slice(from)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Types a line; resolves with where its answer starts in what the terminal printed. */
  function type(line: string): number {
    const at = printed.length;
    input.write(`${line}\n`);
    return at;
  }

  /** The number a card offers for `label` (`[4] Approve (approve #2)`). */
  async function choice(label: 'Approve' | 'Reject' | 'Cancel', id: number): Promise<string> {
    const [, n] = await printedMatch(new RegExp(`\\[(\\d+)\\] ${label} \\(${label.toLowerCase()} #${id}\\)`));
    return n!;
  }

  it('where the requester may not approve, choosing Approve says it waits for an approver and how they approve from Slack', async () => {
    const asked = type(`deploy ${app} to production`);
    const [, id] = await printedMatch(/#(\d+) \(deploy \S+ to production\) waits for approval/, asked);
    const approve = type(await choice('Approve', Number(id)));
    const [answer] = await printedMatch(/Your vote is not counted.*\n/, approve);
    expect(answer).toBe(
      `Your vote is not counted: you requested it, and someone else must approve it. #${id} waits for an approver (1 of U0BOB, @sre; now U0BOB, @sre 0 of 1). An approver approves it from Slack: the card's Approve button, or \`/hoist approve #${id}\`.\n`,
    );
    expect((await hoist.hoist.api.getDeployment(Number(id)))?.status).toBe('AWAITING_APPROVAL');
    const approvals = await hoist.hoist.api.approvals(Number(id));
    expect(approvals.ok && approvals.history.map((h) => h.step)).toEqual(['requested', 'refused']);

    const cancel = type(await choice('Cancel', Number(id)));
    await printedMatch(new RegExp(`#${id} → CANCELED|#${id} CANCELED`), cancel);
  }, 60_000);

  it('where self-approval is allowed and a rule names the shell user, typing the Approve choice approves and it runs', async () => {
    const asked = type(`deploy ${app}@${shas[0]} to own`);
    const [, id] = await printedMatch(/#(\d+) \(deploy \S+ to own\) waits for approval/, asked);
    const approve = type(await choice('Approve', Number(id)));
    await printedMatch(new RegExp(`You approved #${id} \\(deploy \\S+ to own\\): every rule holds`), approve);
    await printedMatch(new RegExp(`#${id} DEPLOYED`), approve, 90_000);
    await printedMatch(/Approved by @alice at /, approve);
  }, 120_000);

  it('Reject asks for the reason on the next line; an empty one rejects nothing; with one, it ends REJECTED and nothing runs', async () => {
    const asked = type(`deploy ${app}@${shas[1]} to own`);
    const [, id] = await printedMatch(/#(\d+) \(deploy \S+ to own\) waits for approval/, asked);
    const reject = await choice('Reject', Number(id));
    const first = type(reject);
    await printedMatch(new RegExp(`Why do you reject #${id}\\? Type the reason on the next line`), first);
    const empty = type('');
    await printedMatch(new RegExp(`No reason given: #${id} is not rejected.`), empty);
    expect((await hoist.hoist.api.getDeployment(Number(id)))?.status).toBe('AWAITING_APPROVAL');

    const second = type(reject);
    await printedMatch(new RegExp(`Why do you reject #${id}\\?`), second);
    const reason = type(`"not this one" – the build's wrong`);
    await printedMatch(new RegExp(`You rejected #${id} .*not this one" – the build's wrong`), reason);
    await printedMatch(new RegExp(`#${id} │ @alice #${id} REJECTED`), reason);
    expect(await hoist.hoist.api.getDeployment(Number(id))).toMatchObject({ status: 'REJECTED', startedAt: null });
  }, 60_000);
});
