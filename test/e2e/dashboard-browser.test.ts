import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { insertDeployment, saveChangelog } from '../../src/store/deployments.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers, testDocker } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, randomName, REGISTRY, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { newDeployment } from '../support/new-deployment.ts';

/** A token that may only read: what the dashboard signs in with. */
const VIEWER = `hoist_${'v1ew'.repeat(10)}`;
const PASSWORD = 'hunter2';
/** Where the screenshots go (ignored by git). */
const OUTPUT = join(import.meta.dirname, '..', '..', 'test-results', 'dashboard');

// The browser's globals as the functions run in the page use them (this project compiles without the DOM library).
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number };
}
declare const document: PageElement & { cookie: string; getElementById(id: string): PageElement | null };
declare const window: { seen: string[] };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: PageElement, options: { subtree: boolean; childList: boolean; attributes: boolean }): void;
}

interface Seen {
  url: string;
  method: string;
  /** Requested after the page said it had loaded. */
  afterLoad: boolean;
}

/**
 * The dashboard in a real headless Chromium against a whole Hoist and a real container engine:
 * sign in with a read token, watch a deployment requested through the API go from QUEUED to
 * DEPLOYED on the open board with no reload and no polling, page through the history and
 * follow a deployment's page; no console error, and the service's secret nowhere.
 */
describe('the dashboard in a browser', () => {
  const app = randomName('dash');
  let repo: GitFixture;
  let hoist: TestHoist;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const requests: Seen[] = [];
  const bodies: string[] = [];
  const streamed: string[] = [];
  let loaded = false;

  beforeAll(async () => {
    repo = createGitFixture('hoist-dashboard');
    repo.commit('first', { README: 'dashboard\n' });
    hoist = await startTestHoist({
      env: { HOIST_API_TOKENS: `viewer:read:${VIEWER}` },
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${repo.dir}
    services:
      web: { type: container, image: "${BASE_IMAGE}", command: ["/bin/sh", "-c", "echo serving with $DB_PASSWORD; exec /bin/busybox httpd -f -p 8080"], env: { DB_PASSWORD: ${PASSWORD} } }
    environments:
      e2e: { target: engine }
      prod: { target: engine, approval: { required: 1, approvers: [U0BOB] } }
`,
    });
    // No skipping: a browser that cannot start fails the file.
    browser = await chromium.launch({
      executablePath: '/usr/lib/chromium/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => {
      // What the browser drops itself as it navigates away (an open stream, an icon) is not a failure.
      if (request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    });
    page.on('request', (request) => requests.push({ url: request.url(), method: request.method(), afterLoad: loaded }));
    page.on('response', (response) => {
      const type = response.headers()['content-type'] ?? '';
      // Streams are read below as they arrive (events) or once they end (logs).
      if (type.startsWith('text/event-stream')) return;
      void response.text().then(
        (text) => bodies.push(text),
        () => undefined,
      );
    });
    // The event stream's messages, as the page received them.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.eventSourceMessageReceived', (message) => streamed.push(message.data));
    mkdirSync(OUTPUT, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hoist?.stop();
    await removeAppContainers(app);
    repo?.remove();
  });

  const cell = `#cell-${app}-e2e`;
  const deploy = async (env: string): Promise<{ id: number }> => {
    const res = await hoist.api(`/apps/${app}/environments/${env}/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'deploy' }) });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { deployment: { id: number } };
    return body.deployment;
  };

  it('signs in with a read token and follows a deployment from QUEUED to DEPLOYED without reloading or polling', async () => {
    // A wrong token, in a page of its own: Chromium reports the 401 answer on its console.
    const wrong = await context.newPage();
    await wrong.goto(`${hoist.baseUrl}/dashboard`);
    expect(new URL(wrong.url()).pathname).toBe('/dashboard/sign-in');
    await wrong.fill('#token', `hoist_${'x'.repeat(40)}`);
    await wrong.click('button[type="submit"]');
    await wrong.waitForLoadState();
    expect(await wrong.textContent('#error')).toContain('not known to Hoist');
    await wrong.close();

    await page.goto(`${hoist.baseUrl}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
    await page.fill('#token', VIEWER);
    await Promise.all([page.waitForURL(`${hoist.baseUrl}/dashboard`), page.click('button[type="submit"]')]);
    await page.waitForSelector('body[data-loaded="true"]');
    await page.waitForSelector('#live[data-state="live"]');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'hoist_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.getAttribute(`${cell} .env`, 'data-status')).toBe('NEVER_DEPLOYED');

    // Every state the cell passes through: the environment's status and its queue's entries.
    await page.evaluate((selector) => {
      const target = document.querySelector(selector)!;
      const seen: string[] = [];
      window.seen = seen;
      new MutationObserver(() => {
        const env = target.querySelector('.env');
        const queue = [...target.querySelectorAll('.queue [data-deployment]')].map((li) => `#${li.dataset.deployment}:${li.dataset.status}`);
        seen.push([env?.dataset.status, ...queue].join(' '));
      }).observe(target, { subtree: true, childList: true, attributes: true });
    }, cell);
    loaded = true;

    const { id } = await deploy('e2e');
    await page.waitForFunction(
      ({ selector, id }) => {
        const env = document.querySelector(`${selector} .env`);
        return env?.dataset.status === 'DEPLOYED' && env.querySelector(`[data-deployment="${id}"]`) === null;
      },
      { selector: cell, id },
      { timeout: 60_000 },
    );
    const seen = await page.evaluate(() => window.seen);
    const queued = seen.findIndex((s) => s.includes(`#${id}:QUEUED`));
    expect(queued, `states seen: ${seen.join(' | ')}`).toBeGreaterThanOrEqual(0);
    expect(seen.slice(queued).some((s) => s.startsWith('DEPLOYING'))).toBe(true);
    expect(seen.at(-1)).toBe('DEPLOYED');
    // What runs: the image this container service was deployed with, recorded by the engine.
    expect(await page.getAttribute(`${cell} [data-service="web"]`, 'data-status')).toBe('DEPLOYED');
    expect(await page.textContent(`${cell} [data-service="web"] code`)).toContain('busybox');
    // Whether it runs, beside its deployment status, followed from the stream: its container killed, then started again.
    await page.waitForSelector(`${cell} [data-service="web"][data-running="RUNNING"]`, { timeout: 15_000 });
    const docker = testDocker();
    const [serving] = await docker.listContainers({ filters: { label: [`io.hoist.app=${app}`, 'io.hoist.env=e2e', 'io.hoist.role=service'] } });
    await docker.getContainer(serving?.Id ?? '').kill();
    await page.waitForSelector(`${cell} [data-service="web"][data-running="DOWN"]`, { timeout: 15_000 });
    expect(await page.textContent(`${cell} [data-service="web"] .running`)).toBe('DOWN 0/1');
    await docker.getContainer(serving?.Id ?? '').start();
    await page.waitForSelector(`${cell} [data-service="web"][data-running="RUNNING"]`, { timeout: 15_000 });

    // Awaiting approval, a lock and a cancel: each shown as it happens.
    const prod = `#cell-${app}-prod`;
    const waiting = await deploy('prod');
    await page.waitForSelector(`${prod} .awaiting [data-deployment="${waiting.id}"]`);
    const locked = await hoist.api(`/apps/${app}/environments/e2e/lock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'release <b>freeze</b>' }) });
    expect(locked.status).toBe(200);
    await page.waitForSelector(`${cell} .lock`);
    // User data is text, never markup.
    expect(await page.textContent(`${cell} .lock`)).toContain('release <b>freeze</b>');
    expect(await page.$(`${cell} .lock b`)).toBeNull();
    expect((await hoist.api(`/deployments/${waiting.id}/cancel`, { method: 'POST' })).status).toBe(200);
    await page.waitForFunction((selector) => document.querySelector(`${selector} .awaiting`) === null, prod);
    await page.screenshot({ path: join(OUTPUT, 'board.png'), fullPage: true });
    expect(statSync(join(OUTPUT, 'board.png')).size).toBeGreaterThan(1_000);

    // Nothing after load asked the API again: the stream alone brought every change.
    const apiAfterLoad = requests.filter((r) => r.afterLoad && r.url.includes('/api/v1/') && !new URL(r.url).pathname.startsWith('/api/v1/events'));
    expect(apiAfterLoad).toEqual([]);
    expect(requests.filter((r) => r.afterLoad).length).toBe(0);
    expect(streamed.some((data) => data.includes(`"deploymentId":${id}`) && data.includes('"status":"DEPLOYED"'))).toBe(true);
    expect(await page.content()).not.toContain(PASSWORD);
  }, 120_000);

  it('pages through the history, filtered, and opens a deployment with its steps, approval and log', async () => {
    const second = await deploy('e2e');
    await page.goto(`${hoist.baseUrl}/dashboard/history?app=${app}&env=e2e&action=deploy&limit=1`);
    await page.waitForSelector('body[data-loaded="true"]');
    expect(await page.$$eval('#rows tr', (rows) => rows.length)).toBe(1);
    expect(await page.inputValue('select[name="app"]')).toBe(app);
    await page.click('#more');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 2);
    expect(await page.isHidden('#more')).toBe(true);
    const ids = await page.$$eval('#rows tr', (rows) => rows.map((r) => Number(r.dataset.deployment)));
    expect(ids[0]).toBe(second.id);
    expect(ids).toHaveLength(2);
    await page.screenshot({ path: join(OUTPUT, 'history.png'), fullPage: true });
    // The other environment's deployment only under its filter.
    await page.goto(`${hoist.baseUrl}/dashboard/history?app=${app}&env=prod`);
    await page.waitForSelector('body[data-loaded="true"]');
    expect(await page.$$eval('#rows tr', (rows) => rows.map((r) => r.dataset.status))).toEqual(['CANCELED']);

    await page.goto(`${hoist.baseUrl}/dashboard/deployments/${second.id}`);
    await page.waitForSelector('body[data-loaded="true"]');
    await page.waitForFunction(() => document.getElementById('log-state')?.textContent?.startsWith('ended'), undefined, { timeout: 60_000 });
    expect(await page.textContent('#log-state')).toBe('ended: DEPLOYED');
    expect(await page.getAttribute('#steps [data-service="web"]', 'data-status')).toBe('DEPLOYED');
    expect(await page.textContent('#approval')).toContain('No approval needed');
    expect((await page.textContent('#log'))?.length).toBeGreaterThan(0);
    await page.screenshot({ path: join(OUTPUT, 'deployment.png'), fullPage: true });
    expect(await page.content()).not.toContain(PASSWORD);

    // An automatic deploy shows the push that asked for it and what it changes (recorded here as
    // a push would record it; it waits for approval, so nothing runs it meanwhile).
    const database = await openDatabase({ url: hoist.databaseUrl, dataDir: hoist.dir });
    try {
      const pushed = await insertDeployment(
        database.db,
        newDeployment({
          app,
          env: 'prod',
          trigger: 'webhook',
          requestedBy: { id: 'github:octocat', name: 'octocat' },
          push: { pusher: 'octocat', message: 'Fix the checkout total\n\nLong description', forced: true, compareUrl: null },
          services: [{ name: 'web', type: 'container', version: 'b'.repeat(40), previousVersion: null }],
          awaitsApprovalUntil: new Date(Date.now() + 3_600_000),
        }),
      );
      await saveChangelog(database.db, pushed.id, {
        from: 'c'.repeat(40),
        to: 'b'.repeat(40),
        ahead: 12,
        behind: 1,
        commits: [
          { sha: 'd'.repeat(40), title: 'Fix the checkout total', author: 'octocat', pull: { number: 42, url: 'https://github.com/acme/shop/pull/42' } },
          { sha: 'e'.repeat(40), title: 'Tidy <b>up</b>', author: null, pull: { number: 43, url: 'javascript:alert(1)' } },
        ],
        compareUrl: 'https://github.com/acme/shop/compare/cccccc...bbbbbb',
      });
      await page.goto(`${hoist.baseUrl}/dashboard/deployments/${pushed.id}`);
      await page.waitForSelector('body[data-loaded="true"]');
      const facts = await page.textContent('#facts');
      expect(facts).toContain('Automatic — pushed by octocat (forced push)');
      expect(facts).toContain('Fix the checkout total');
      expect(facts).not.toContain('Long description');
      const changes = await page.textContent('#changes');
      expect(changes).toContain('12 commits to deploy; this rolls back 1 commit.');
      expect(changes).toContain('+10 more');
      expect(await page.$$eval('#changelog li', (items) => items.map((i) => i.textContent))).toEqual([
        'ddddddd Fix the checkout total — octocat (#42)',
        'eeeeeee Tidy <b>up</b> (#43)',
      ]);
      expect(await page.$$eval('#changes a', (links) => links.map((a) => a.getAttribute('href')))).toEqual([
        'https://github.com/acme/shop/pull/42',
        '#',
        'https://github.com/acme/shop/compare/cccccc...bbbbbb',
      ]);

      // A change recorded after the page read the deployment and before its event stream started
      // (the stream's request held here until the change is in): the page shows it all the same.
      const quiet = await insertDeployment(
        database.db,
        newDeployment({ app, env: 'e2e', services: [{ name: 'web', type: 'container', version: 'a'.repeat(40), previousVersion: null }], awaitsApprovalUntil: new Date(Date.now() + 3_600_000) }),
      );
      await page.route(/\/api\/v1\/events\?/, async (route) => {
        await saveChangelog(database.db, quiet.id, { from: 'c'.repeat(40), to: 'a'.repeat(40), ahead: 3, behind: 0, commits: [], compareUrl: null });
        await route.continue();
      });
      try {
        await page.goto(`${hoist.baseUrl}/dashboard/deployments/${quiet.id}`);
        await page.waitForSelector('body[data-loaded="true"]');
      } finally {
        await page.unrouteAll();
      }
      expect(await page.textContent('#changes')).toContain('3 commits to deploy.');
      expect((await hoist.api(`/deployments/${quiet.id}/cancel`, { method: 'POST' })).status).toBe(200);
      await page.goto(`${hoist.baseUrl}/dashboard/history?app=${app}&env=prod`);
      await page.waitForSelector('body[data-loaded="true"]');
      expect(await page.textContent(`#rows [data-deployment="${pushed.id}"]`)).toContain('Automatic — pushed by octocat (forced push)');

      // A push recorded while the page loads: the event stream shows its row before the first
      // page of the history arrives (held here until it has), and the page's record then fills
      // in what the event does not carry.
      let late = 0;
      await page.route(/\/api\/v1\/deployments\?/, async (route) => {
        await page.waitForSelector('#live[data-state="live"]');
        late = (await insertDeployment(database.db, newDeployment({ app, env: 'prod', trigger: 'webhook', requestedBy: { id: 'github:octocat', name: 'octocat' }, push: { pusher: 'octocat', message: 'Later', forced: false, compareUrl: null }, services: [{ name: 'web', type: 'container', version: 'f'.repeat(40), previousVersion: null }], awaitsApprovalUntil: new Date(Date.now() + 3_600_000) }))).id;
        await page.waitForSelector(`#rows [data-deployment="${late}"]`);
        await route.continue();
      });
      try {
        await page.goto(`${hoist.baseUrl}/dashboard/history?app=${app}&env=prod`);
        await page.waitForSelector('body[data-loaded="true"]');
      } finally {
        await page.unrouteAll();
      }
      expect(await page.$$eval('#rows tr', (rows) => rows.map((r) => [Number(r.dataset.deployment), r.dataset.status]))).toEqual([
        [late, 'AWAITING_APPROVAL'],
        [pushed.id, 'AWAITING_APPROVAL'],
        [expect.any(Number), 'CANCELED'],
      ]);
      expect(await page.textContent(`#rows [data-deployment="${late}"]`)).toContain('Automatic — pushed by octocat');
    } finally {
      await database.close();
    }

    // The running service's page, from its name on the board: its container's usage now and its
    // output, the secret it printed masked.
    await page.goto(`${hoist.baseUrl}/dashboard`);
    await page.waitForSelector('body[data-loaded="true"]');
    await Promise.all([page.waitForURL(/\/services\/web$/), page.click(`${cell} [data-service="web"] a`)]);
    await page.waitForSelector('body[data-loaded="true"]');
    const usage = await page.$$eval('#usage tr', (rows) => rows.map((r) => [r.getAttribute('data-replica'), r.querySelector('.cpu')?.textContent, r.querySelector('.memory')?.textContent]));
    expect(usage).toHaveLength(1);
    expect(usage[0]?.[0]).toBe(`hoist-${app}-e2e-web-${second.id}`);
    expect(usage[0]?.[1]).toMatch(/^\d+(\.\d)?m$/);
    expect(usage[0]?.[2]).toMatch(/^\d+(\.\d)? (B|KiB|MiB) of \d+(\.\d)? GiB$/);
    expect(await page.textContent('#app-log')).toMatch(new RegExp(`^hoist-${app}-e2e-web-${second.id} \\| serving with ••••[0-9a-f]{8}$`));
    await page.screenshot({ path: join(OUTPUT, 'service.png'), fullPage: true });
    expect(await page.content()).not.toContain(PASSWORD);

    // Signing out ends the session: the pages send the browser to sign in again.
    await Promise.all([page.waitForURL(/\/dashboard\/sign-in$/), page.click('form.who button')]);
    await page.goto(`${hoist.baseUrl}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');

    expect(problems).toEqual([]);
    expect(bodies.length).toBeGreaterThan(5);
    for (const body of [...bodies, ...streamed]) expect(body).not.toContain(PASSWORD);
  }, 120_000);
});
