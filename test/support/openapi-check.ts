import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Checks a real answer against the OpenAPI document Hoist serves, with ajv (an independent
 * JSON Schema validator), not with the zod schemas the document was generated from.
 */

interface Document {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
  components?: { schemas?: Record<string, object> };
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const compiled = new WeakMap<object, Map<string, ValidateFunction>>();

/** The response schema the document declares; a `#/components/schemas/…` reference resolves within the document. */
function validatorFor(doc: Document, method: string, pathTemplate: string, status: number): ValidateFunction {
  const key = `${method} ${pathTemplate} ${status}`;
  const known = compiled.get(doc) ?? new Map<string, ValidateFunction>();
  compiled.set(doc, known);
  const cached = known.get(key);
  if (cached) return cached;
  const operation = doc.paths[pathTemplate]?.[method.toLowerCase()];
  if (operation === undefined) throw new Error(`the served document has no ${method.toUpperCase()} ${pathTemplate}`);
  const schema = operation.responses?.[String(status)]?.content?.['application/json']?.schema;
  if (schema === undefined) throw new Error(`the served document declares no JSON ${status} answer for ${method.toUpperCase()} ${pathTemplate}`);
  // The response schema as the root, the document's components beside it for its references.
  const validate = ajv.compile({ ...schema, components: doc.components ?? {} });
  known.set(key, validate);
  return validate;
}

export function expectMatchesDocument(doc: unknown, method: string, pathTemplate: string, status: number, body: unknown): void {
  const validate = validatorFor(doc as Document, method, pathTemplate, status);
  const valid = validate(body);
  const problems = valid ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  if (problems.length > 0) {
    throw new Error(`${method.toUpperCase()} ${pathTemplate} ${status} does not match the served document: ${problems.join('; ')}\nbody: ${JSON.stringify(body).slice(0, 500)}`);
  }
}

/** The document a running Hoist serves. */
export async function servedDocument(hoist: { api(path: string, init?: RequestInit): Promise<Response> }): Promise<unknown> {
  const res = await hoist.api('/openapi.json');
  if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
  return res.json();
}
