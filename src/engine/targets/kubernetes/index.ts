export { createKubernetesTarget, type KubernetesTargetOptions } from './kubernetes-target.ts';
export { loadKubeConfig, targetConnection, KubeError, type KubeConnection, type RetryPolicy } from './client.ts';
export type { KubernetesTiming } from './context.ts';
export { renderService, manifestsOf, type RenderContext, type RenderedService } from './render.ts';
export { REQUIRED_PERMISSIONS, type Permission } from './permissions.ts';
