import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbidden.map((group) => (group instanceof RegExp ? { regex: group.source, message } : { group: [group], message })),
        ],
      },
    ],
  },
});

// What each layer may not import: every layer above it (see README, Architecture), and
// main.ts and cli.ts, which wire them all. Client libraries stop at the layer they serve.
const ENTRY = ['**/main.ts', '**/cli.ts'];
const EDGES = ['**/bot/**', '**/http/**'];
const ABOVE_ENGINE = ['**/jobs/**', '**/service/**', ...EDGES, ...ENTRY];
const ABOVE_STORE = ['**/engine/**', ...ABOVE_ENGINE];
const ABOVE_CONFIG = ['**/store/**', ...ABOVE_STORE];
const CLIENTS = ['@slack/*', 'bullmq', 'ioredis', 'kysely', 'kysely/*', 'dockerode', 'pg', 'hono', 'hono/*', '@hono/*'];

export default tseslint.config(
  // test/fixtures: trees that break these rules on purpose (test/scripts/check.test.ts lints them with this config).
  { ignores: ['node_modules/**', '.hoist/**', 'bench/results.json', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  // Dependency direction (see README, Architecture).
  // Anything but a file beside it: no other layer, no node:*, no library.
  layer(['src/domain/**'], [/^(?!\.\/)/], 'domain is pure: it imports nothing but itself'),
  layer(['src/config/**'], [...ABOVE_CONFIG, ...CLIENTS], 'config depends on the domain only'),
  layer(['src/store/**'], [...ABOVE_STORE, '@slack/*', 'bullmq', 'ioredis', 'dockerode', 'hono', 'hono/*', '@hono/*'], 'the store depends on the domain and config only'),
  layer(['src/engine/**'], [...ABOVE_ENGINE, '@slack/*', 'bullmq', 'ioredis', 'hono', 'hono/*', '@hono/*'], 'the engine never knows about chat, HTTP, queues or the service layer'),
  layer(['src/jobs/**'], ['**/service/**', ...EDGES, ...ENTRY, '@slack/*', 'hono', 'hono/*', '@hono/*'], 'jobs never reach the service layer or the edges'),
  layer(['src/service/**'], ['**/jobs/**', ...EDGES, ...ENTRY, '@slack/*', 'bullmq', 'ioredis', 'hono', 'hono/*', '@hono/*'], 'the service layer is called by the edges, not the other way round'),
  layer(['src/bot/**'], ['**/http/**', '**/jobs/**', '**/store/**', '**/engine/**', '**/config/**', ...ENTRY, 'bullmq', 'ioredis', 'kysely', 'kysely/*', 'dockerode', 'pg', 'hono', 'hono/*', '@hono/*'], 'the chat edge talks to the service layer only'),
  layer(['src/http/**'], ['**/bot/**', '**/jobs/**', '**/store/**', '**/engine/**', '**/config/**', ...ENTRY, '@slack/*', 'bullmq', 'ioredis', 'kysely', 'kysely/*', 'dockerode', 'pg'], 'the HTTP edge talks to the service layer only'),
  layer(['src/client/**', 'src/cli/**'], ['**/store/**', '**/engine/**', '**/jobs/**', '**/service/**', '**/http/**', '**/config/**', ...ENTRY, ...CLIENTS], 'the command-line client reaches Hoist over its HTTP API only'),
  // The dashboard's scripts run in the browser, as ES modules served as they are.
  {
    files: ['src/http/dashboard/assets/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
  {
    files: ['src/cli.ts', 'scripts/**', 'bench/**', 'test/**', 'bin/**'],
    languageOptions: { globals: globals.node },
    rules: { 'no-console': 'off' },
  },
);
