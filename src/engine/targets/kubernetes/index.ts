export { createKubernetesTarget, type KubernetesTargetOptions } from './kubernetes-target.ts';
export { loadKubeConfig, KubeError, type RetryPolicy } from './client.ts';
export { targetConnection, type KubeConnection } from './connection.ts';
export type { KubernetesTiming } from './context.ts';
export { renderService, manifestsOf, type RenderContext, type RenderedService } from './render.ts';
export { REQUIRED_PERMISSIONS, type Permission } from './permissions.ts';
