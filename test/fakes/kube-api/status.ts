/**
 * Status bodies as the API server writes them (k8s.io/apimachinery's
 * api/errors), so clients parse the fake's failures like real ones.
 */
import { qualifiedKind, qualifiedResource, type ResourceInfo } from './resources.ts';
import type { ApiResult, StatusBody } from './types.ts';

type Details = NonNullable<StatusBody['details']>;

export function failure(code: number, reason: string, message: string, details?: Details): StatusBody {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason,
    ...(details ? { details } : {}), code,
  };
}

export function fail<T>(status: StatusBody): ApiResult<T> {
  return { ok: false, status };
}

const named = (info: ResourceInfo, name: string): Details => ({
  name, ...(info.group ? { group: info.group } : {}), kind: info.plural,
});

export function notFound(info: ResourceInfo, name: string): StatusBody {
  return failure(404, 'NotFound', `${qualifiedResource(info)} "${name}" not found`, named(info, name));
}

export function namespaceNotFound(namespace: string): StatusBody {
  return failure(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
}

export function pageNotFound(): StatusBody {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(info: ResourceInfo, name: string): StatusBody {
  return failure(409, 'AlreadyExists', `${qualifiedResource(info)} "${name}" already exists`, named(info, name));
}

export function conflict(info: ResourceInfo, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusBody {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": ${why}`, named(info, name));
}

export interface FieldError {
  field: string;
  /** FieldValueRequired, FieldValueInvalid, FieldValueForbidden, FieldValueNotSupported, FieldValueDuplicate */
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueNotSupported' | 'FieldValueDuplicate';
  /** The text after the field, e.g. `Required value` or `Invalid value: "x": must be ...`. */
  detail: string;
}

export const required = (field: string, detail = ''): FieldError => ({
  field, type: 'FieldValueRequired', detail: detail ? `Required value: ${detail}` : 'Required value',
});

export const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({
  field, type: 'FieldValueInvalid', detail: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
});

export const forbidden = (field: string, detail: string): FieldError => ({
  field, type: 'FieldValueForbidden', detail: `Forbidden: ${detail}`,
});

export const notSupported = (field: string, value: unknown, valid: string[]): FieldError => ({
  field, type: 'FieldValueNotSupported',
  detail: `Unsupported value: ${JSON.stringify(value)}: supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`,
});

export function invalid(info: Pick<ResourceInfo, 'kind' | 'group'>, name: string, errors: FieldError[]): StatusBody {
  const lines = errors.map((e) => `${e.field}: ${e.detail}`);
  const list = lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`;
  return failure(422, 'Invalid', `${qualifiedKind(info)} "${name}" is invalid: ${list}`, {
    name, ...(info.group ? { group: info.group } : {}), kind: info.kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  });
}

export function badRequest(message: string): StatusBody {
  return failure(400, 'BadRequest', message);
}

export function forbiddenRequest(info: ResourceInfo, name: string, message: string): StatusBody {
  return failure(403, 'Forbidden', `${qualifiedResource(info)} "${name}" is forbidden: ${message}`, named(info, name));
}

export function unauthorized(): StatusBody {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(): StatusBody {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function unsupportedMediaType(): StatusBody {
  return failure(415, 'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json');
}

export function gone(message: string): StatusBody {
  return failure(410, 'Expired', message);
}

/** The Status a fault injection answers with. */
export function faultStatus(code: 409 | 429 | 500 | 503): StatusBody {
  switch (code) {
    case 409:
      return failure(409, 'Conflict', 'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again', {});
    case 429:
      return failure(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 });
    case 500:
      return failure(500, 'InternalError', 'Internal error occurred: injected fault', { causes: [{ message: 'injected fault' }] });
    case 503:
      return failure(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
  }
}

/** What DELETE answers for kinds that do not return the deleted object. */
export function deleted(info: ResourceInfo, name: string, uid: string): object {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { ...named(info, name), uid },
  };
}
