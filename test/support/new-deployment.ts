import type { NewDeployment } from '../../src/store/deployments.ts';

/** A deployment as the store records it: shop/staging, deploy of one application by alice; `over` changes any field. */
export const newDeployment = (over: Partial<NewDeployment> = {}): NewDeployment => ({
  app: 'shop',
  env: 'staging',
  action: 'deploy',
  ref: null,
  sha: 'a'.repeat(40),
  scope: null,
  requestedBy: { id: 'U1', name: 'alice' },
  trigger: 'chat',
  chat: { kind: 'none' },
  requestKey: null,
  services: [{ name: 'api', type: 'application', version: 'a'.repeat(40), previousVersion: null }],
  deploymentSet: null,
  ...over,
});
