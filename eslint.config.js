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
          ...forbidden.map((group) => ({ group: [group], message })),
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.hoist/**', 'bench/results.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  // Dependency direction (see README, Architecture).
  layer(['src/domain/**'], ['../*', 'node:*', '@slack/*', 'bullmq', 'ioredis', 'kysely', 'dockerode', 'pg', 'hono'], 'domain is pure: it imports nothing but itself'),
  layer(['src/engine/**'], ['**/bot/**', '**/http/**', '**/jobs/**', '@slack/*'], 'the engine never knows about chat, HTTP or queues'),
  layer(['src/store/**'], ['**/bot/**', '**/http/**', '**/jobs/**', '**/engine/**', '@slack/*'], 'the store depends on the domain only'),
  layer(['src/service/**'], ['**/bot/**', '**/http/**', '**/jobs/**', '@slack/*'], 'the service layer is called by the edges, not the other way round'),
  layer(['src/jobs/**'], ['**/bot/**', '**/http/**', '@slack/*'], 'jobs never reach the edges'),
  layer(['src/bot/**'], ['**/http/**', '**/jobs/**', '**/store/**', '**/engine/**'], 'the chat edge talks to the service layer only'),
  layer(['src/http/**'], ['**/bot/**', '**/jobs/**', '**/engine/**', '@slack/*'], 'the HTTP edge talks to the service layer only'),
  layer(['src/config/**'], ['**/bot/**', '**/http/**', '**/jobs/**', '**/engine/**', '**/store/**', '**/service/**'], 'config depends on the domain only'),
  {
    files: ['src/cli.ts', 'scripts/**', 'bench/**', 'test/**', 'bin/**'],
    languageOptions: { globals: globals.node },
    rules: { 'no-console': 'off' },
  },
);
