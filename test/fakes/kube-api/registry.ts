/**
 * The API's verbs over the store, as the API server's generic registry serves
 * them: get, list, create, replace (PUT), the four patch types (server-side
 * apply among them) on an object and its status and scale subresources.
 * Deletion lives in deletion.ts.
 */
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { applyConfiguration } from './apply.ts';
import type { FakeClock } from './clock.ts';
import { initialStatus, type Allocators } from './defaults.ts';
import type { Subresource, Writer } from './managed-fields.ts';
import { ObjectWriter } from './objects.ts';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import { apiVersionOf, byKind, qualifiedKind, type ResourceInfo } from './resources.ts';
import { parseFieldSelector, parseLabelSelector, selectorString } from './selectors.ts';
import {
  alreadyExists, badRequest, fail, failure, forbiddenRequest, invalid, invalidValue, namespaceNotFound, notFound,
  required, unsupportedMediaType,
} from './status.ts';
import type { Store } from './store.ts';
import type { ApiResult, Json, KubeObject } from './types.ts';
import { clone, isPlainObject, randomSuffix, timestamp } from './util.ts';

export interface WriteContext {
  /** `?fieldManager=`; for other writes than apply, the User-Agent's product stands in, as in the API server. */
  fieldManager: string | undefined;
  userAgent: string | undefined;
  dryRun: boolean;
  force: boolean;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
] as const;

const META_SKIPPED_ON_CREATE = ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'managedFields'];

export class Registry {
  readonly writer: ObjectWriter;

  constructor(readonly store: Store, readonly clock: FakeClock, allocators: Allocators) {
    this.writer = new ObjectWriter(store, clock, allocators);
  }

  get(info: ResourceInfo, namespace: string | null, name: string): ApiResult {
    const found = this.store.get(info.kind, namespace, name);
    return found ? { ok: true, value: found, code: 200 } : fail(notFound(info, name));
  }

  list(info: ResourceInfo, namespace: string | null | undefined, query: ListQuery): ApiResult<Json> {
    const labels = parseLabelSelector(query.labelSelector);
    if (!labels.ok) return fail(badRequest(labels.message));
    const fields = parseFieldSelector(query.fieldSelector, info.kind);
    if (!fields.ok) return fail(badRequest(fields.message));
    let items = this.store.list(info.kind, namespace).filter((o) => labels.value(o.metadata.labels) && fields.value(o));
    const revision = String(this.store.currentRevision());
    let after: string | undefined;
    if (query.continue) {
      try {
        after = (JSON.parse(Buffer.from(query.continue, 'base64url').toString()) as { after: string }).after;
      } catch {
        return fail(badRequest('continue key is not valid: illegal base64 data at input byte 0'));
      }
      items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > (after as string));
    }
    const metadata: Record<string, Json> = { resourceVersion: revision };
    if (query.limit && query.limit > 0 && items.length > query.limit) {
      const last = items[query.limit - 1] as KubeObject;
      metadata.continue = Buffer.from(JSON.stringify({ after: `${last.metadata.namespace ?? ''}/${last.metadata.name}` })).toString('base64url');
      metadata.remainingItemCount = items.length - query.limit;
      items = items.slice(0, query.limit);
    }
    // List items carry no kind or apiVersion: the list's own says what they are.
    const body = {
      kind: `${info.kind}List`, apiVersion: apiVersionOf(info), metadata,
      items: items.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest),
    };
    return { ok: true, value: body, code: 200 };
  }

  create(info: ResourceInfo, namespace: string | null, body: Json, ctx: WriteContext): ApiResult {
    const checked = this.checkBody(info, body);
    if (checked) return fail(checked);
    if (info.namespaced && body.metadata?.namespace && body.metadata.namespace !== namespace) {
      return fail(badRequest('the namespace of the provided object does not match the namespace sent on the request'));
    }
    const metadata: Record<string, Json> = { ...body.metadata };
    for (const field of META_SKIPPED_ON_CREATE) delete metadata[field];
    if (!metadata.name && metadata.generateName) metadata.name = `${metadata.generateName}${randomSuffix()}`;
    if (!metadata.name) return fail(invalid(info, '', [{ field: 'metadata.name', type: 'FieldValueRequired', detail: 'Required value: name or generateName is required' }]));
    const blocked = this.namespaceBlocks(info, namespace, metadata.name);
    if (blocked) return blocked;
    if (this.store.get(info.kind, namespace, metadata.name)) return fail(alreadyExists(info, metadata.name));
    const candidate: KubeObject = {
      ...clone(body), apiVersion: apiVersionOf(info), kind: info.kind, metadata: { ...metadata, ...this.identity(namespace) } as KubeObject['metadata'],
    };
    if (info.hasStatus) candidate.status = initialStatus(candidate);
    if (info.kind === 'PersistentVolumeClaim') candidate.metadata.finalizers = [...new Set([...(metadata.finalizers ?? []), 'kubernetes.io/pvc-protection'])];
    return this.writer.commit(info, undefined, candidate, this.updateOptions(ctx, 'main', true));
  }

  replace(info: ResourceInfo, namespace: string | null, name: string, body: Json, sub: Subresource, ctx: WriteContext): ApiResult {
    const checked = this.checkBody(info, body) ?? this.checkName(body, name);
    if (checked) return fail(checked);
    const existing = this.store.get(info.kind, namespace, name);
    if (!existing) return fail(notFound(info, name));
    const candidate = sub === 'status' ? { ...clone(existing), status: clone(body.status), metadata: this.sentMeta(existing, body) } : clone(body);
    return this.writer.commit(info, existing, candidate, this.updateOptions(ctx, sub, true));
  }

  patch(info: ResourceInfo, namespace: string | null, name: string, contentType: string, raw: string, sub: Subresource, ctx: WriteContext): ApiResult {
    if (contentType === 'application/apply-patch+yaml') return this.apply(info, namespace, name, raw, sub, ctx);
    const existing = this.store.get(info.kind, namespace, name);
    if (!existing) return fail(notFound(info, name));
    const patched = this.patchDocument(existing, contentType, raw);
    if (!patched.ok) return patched;
    const candidate = sub === 'status'
      ? { ...clone(existing), status: patched.value.status, metadata: this.sentMeta(existing, patched.value) }
      : patched.value;
    if (!isPlainObject(candidate.metadata)) return fail(badRequest('metadata: must be an object'));
    if (candidate.metadata.name !== name) return fail(badRequest(`the name of the object (${candidate.metadata.name}) does not match the name on the URL (${name})`));
    return this.writer.commit(info, existing, candidate, this.updateOptions(ctx, sub, true));
  }

  /** A patch of any type applied to a document (the object, or its Scale). */
  patchDocument(doc: Json, contentType: string, raw: string): ApiResult<Json> {
    let patch: Json;
    try {
      patch = JSON.parse(raw);
    } catch (error) {
      return fail(badRequest(`error decoding patch: ${(error as Error).message}`));
    }
    switch (contentType) {
      case 'application/merge-patch+json':
        return { ok: true, value: mergePatch(doc, patch), code: 200 };
      case 'application/strategic-merge-patch+json':
        return { ok: true, value: strategicMergePatch(doc, patch), code: 200 };
      case 'application/json-patch+json': {
        const result = jsonPatch(doc, patch);
        if (!result.ok) return fail(failure(422, 'Invalid', result.message, { causes: [{ reason: 'FieldValueInvalid', message: result.message }] }));
        return { ok: true, value: result.value, code: 200 };
      }
      default:
        return fail(unsupportedMediaType());
    }
  }

  /** Server-side apply: creates the object when it is missing. */
  apply(info: ResourceInfo, namespace: string | null, name: string, raw: string, sub: Subresource, ctx: WriteContext): ApiResult {
    if (!ctx.fieldManager) {
      return fail(invalid({ kind: 'PatchOptions', group: 'meta.k8s.io' }, '', [required('fieldManager', 'is required for apply patch')]));
    }
    let applied: Json;
    try {
      applied = parseYaml(raw);
    } catch (error) {
      return fail(badRequest(`error decoding YAML: ${(error as Error).message}`));
    }
    if (!isPlainObject(applied)) return fail(badRequest('error decoding YAML: the object is not a map'));
    if (!applied.apiVersion || !applied.kind) return fail(badRequest(`Object 'Kind' is missing in '${raw.slice(0, 200)}'`));
    const expected = sub === 'scale' ? { apiVersion: 'autoscaling/v1', kind: 'Scale' } : { apiVersion: apiVersionOf(info), kind: info.kind };
    if (applied.apiVersion !== expected.apiVersion || applied.kind !== expected.kind) {
      return fail(badRequest(`the API version in the data (${applied.apiVersion}) does not match the expected API version (${expected.apiVersion})`));
    }
    const nameCheck = this.checkName(applied, name);
    if (nameCheck) return fail(nameCheck);
    if (info.namespaced && applied.metadata?.namespace && applied.metadata.namespace !== namespace) {
      return fail(badRequest('the namespace of the provided object does not match the namespace sent on the request'));
    }
    const existing = this.store.get(info.kind, namespace, name);
    if (!existing && sub !== 'main') return fail(notFound(info, name));
    if (!existing) {
      const blocked = this.namespaceBlocks(info, namespace, name);
      if (blocked) return blocked;
    }
    const sentVersion = applied.metadata?.resourceVersion;
    const live: KubeObject = existing ?? { apiVersion: apiVersionOf(info), kind: info.kind, metadata: { name, ...this.identity(namespace) } as KubeObject['metadata'] };
    const outcome = applyConfiguration(live, applied, {
      manager: ctx.fieldManager, subresource: sub, force: ctx.force, apiVersion: apiVersionOf(info), time: this.writer.now(), hasStatus: info.hasStatus,
    });
    if (!outcome.ok) return fail(outcome.status);
    const candidate = outcome.object;
    if (sentVersion) candidate.metadata.resourceVersion = sentVersion;
    if (!existing && info.hasStatus) candidate.status = initialStatus(candidate);
    if (!existing && info.kind === 'PersistentVolumeClaim') candidate.metadata.finalizers = [...(candidate.metadata.finalizers ?? []), 'kubernetes.io/pvc-protection'];
    return this.writer.commit(info, existing, candidate, {
      writer: { manager: ctx.fieldManager, operation: 'Apply', subresource: sub },
      managedFields: candidate.metadata.managedFields ?? [], validate: true, dryRun: ctx.dryRun,
    });
  }

  /** The autoscaling/v1 Scale of a Deployment, ReplicaSet or StatefulSet. */
  scaleOf(obj: KubeObject): Json {
    const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
      spec: { replicas: obj.spec?.replicas ?? 0 },
      status: { replicas: obj.status?.replicas ?? 0, selector: selectorString(obj.spec?.selector) },
    };
  }

  /** PUT or PATCH of /scale: the Scale document in, the object's spec.replicas changed. */
  writeScale(info: ResourceInfo, namespace: string | null, name: string, update: (scale: Json) => ApiResult<Json>, ctx: WriteContext): ApiResult<Json> {
    const existing = this.store.get(info.kind, namespace, name);
    if (!existing) return fail(notFound(info, name));
    const scaled = update(this.scaleOf(existing));
    if (!scaled.ok) return scaled;
    const replicas = scaled.value?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) {
      return fail(invalid({ kind: 'Scale', group: 'autoscaling' }, name, [invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0')]));
    }
    const candidate = clone(existing);
    candidate.spec.replicas = replicas;
    const sent = scaled.value?.metadata?.resourceVersion;
    if (sent) candidate.metadata.resourceVersion = sent;
    const result = this.writer.commit(info, existing, candidate, this.updateOptions(ctx, 'scale', false));
    return result.ok ? { ...result, value: this.scaleOf(result.value) } : result;
  }

  /** Objects controllers make (ReplicaSets, pods, PVCs, Jobs, events): no validation, recorded as Updates. */
  createInternal(obj: Json, manager: string): KubeObject {
    const info = byKind(obj.kind) as ResourceInfo;
    const namespace = info.namespaced ? obj.metadata.namespace : null;
    const candidate: KubeObject = { ...obj, metadata: { ...obj.metadata, ...this.identity(namespace) } };
    if (info.hasStatus) candidate.status = obj.status ?? initialStatus(candidate);
    const result = this.writer.commit(info, undefined, candidate, { writer: { manager, operation: 'Update', subresource: 'main' }, validate: false, dryRun: false });
    if (!result.ok) throw new Error(`fake kube: ${manager} could not create ${obj.kind}: ${result.status.message}`);
    return result.value;
  }

  /** A controller's write of an object it read from the store (status through `status`). */
  updateInternal(obj: KubeObject, manager: string, sub: Subresource = 'main'): KubeObject | undefined {
    const info = byKind(obj.kind) as ResourceInfo;
    const existing = this.store.get(obj.kind, obj.metadata.namespace ?? null, obj.metadata.name);
    if (!existing || existing.metadata.uid !== obj.metadata.uid) return undefined;
    const candidate = sub === 'status' ? { ...clone(existing), status: clone(obj.status) } : { ...clone(obj), metadata: { ...clone(obj.metadata), resourceVersion: '' } };
    const result = this.writer.commit(info, existing, candidate as KubeObject, { writer: { manager, operation: 'Update', subresource: sub }, validate: false, dryRun: false });
    return result.ok ? result.value : undefined;
  }

  private identity(namespace: string | null): Partial<KubeObject['metadata']> {
    return {
      ...(namespace === null ? {} : { namespace }),
      uid: randomUUID(),
      creationTimestamp: timestamp(this.clock.now()),
    };
  }

  /** For a status write: the object's metadata, with only the resourceVersion precondition taken from the request. */
  private sentMeta(existing: KubeObject, body: Json): KubeObject['metadata'] {
    return { ...clone(existing.metadata), resourceVersion: body?.metadata?.resourceVersion ?? '' };
  }

  private updateOptions(ctx: WriteContext, sub: Subresource, validate: boolean) {
    const manager = ctx.fieldManager ?? (ctx.userAgent ?? 'unknown').split('/')[0]?.slice(0, 128) ?? 'unknown';
    const writer: Writer = { manager, operation: 'Update', subresource: sub };
    return { writer, validate, dryRun: ctx.dryRun };
  }

  private checkBody(info: ResourceInfo, body: Json) {
    if (!isPlainObject(body)) return badRequest('the object provided is unrecognized (must be of type ' + info.kind + ')');
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(info)) {
      return badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(info)})`);
    }
    if (body.kind !== undefined && body.kind !== info.kind) {
      return badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${qualifiedKind(info)})`);
    }
    if (body.metadata !== undefined && !isPlainObject(body.metadata)) return badRequest('metadata: must be an object');
    body.metadata ??= {};
    return undefined;
  }

  private checkName(body: Json, name: string) {
    const sent = body.metadata?.name;
    if (sent === undefined || sent === '') return undefined;
    return sent === name ? undefined : badRequest(`the name of the object (${sent}) does not match the name on the URL (${name})`);
  }

  /** A create in a missing namespace is 404; in one being deleted, 403. */
  private namespaceBlocks(info: ResourceInfo, namespace: string | null, name: string): ApiResult | undefined {
    if (!info.namespaced || namespace === null) return undefined;
    const ns = this.store.get('Namespace', null, namespace);
    if (!ns) return fail(namespaceNotFound(namespace));
    if (ns.metadata.deletionTimestamp) {
      return fail(forbiddenRequest(info, name, `unable to create new content in namespace ${namespace} because it is being terminated`));
    }
    return undefined;
  }
}
