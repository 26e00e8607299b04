// Routes discovered from each function's served /openapi.json, so a route
// added later is attacked without anyone editing these suites, and a valid
// example body built from each route's JSON schema.
import { callFunction } from "../../integration/_support/functions.ts";

export const API_FUNCTIONS = ["admin", "onboarding", "support"] as const;

// deno-lint-ignore no-explicit-any
export type JsonSchema = Record<string, any>;

export interface Route {
  fn: string;
  method: string;
  /** Path under the function, with {param} segments, e.g. /tenants/{tenantId}/employees */
  path: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema }[];
  /** Resolved request body schema, if the route takes one. */
  body?: JsonSchema;
  bodyRequired: boolean;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, {
    parameters?: { name: string; in: string; schema: JsonSchema }[];
    requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

function resolve(schema: JsonSchema, doc: OpenApiDoc): JsonSchema {
  if (schema?.$ref) return resolve(doc.components!.schemas![String(schema.$ref).split("/").pop()!], doc);
  return schema;
}

export async function discoverRoutes(fn: string): Promise<Route[]> {
  const res = await callFunction<OpenApiDoc>(fn, "/openapi.json");
  if (res.status !== 200) throw new Error(`${fn}/openapi.json: ${res.status}`);
  const doc = res.body;
  const routes: Route[] = [];
  for (const [full, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const path = full.replace(new RegExp(`^/${fn}`), "");
      const params = op.parameters ?? [];
      const json = op.requestBody?.content["application/json"]?.schema;
      routes.push({
        fn,
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
        query: params.filter((p) => p.in === "query").map((p) => ({ name: p.name, schema: resolve(p.schema, doc) })),
        body: json ? deepResolve(json, doc) : undefined,
        bodyRequired: op.requestBody?.required === true,
      });
    }
  }
  return routes;
}

function deepResolve(schema: JsonSchema, doc: OpenApiDoc): JsonSchema {
  const s = resolve(schema, doc);
  if (Array.isArray(s)) return s.map((x) => deepResolve(x, doc));
  if (!s || typeof s !== "object") return s;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) out[k] = v && typeof v === "object" ? deepResolve(v as JsonSchema, doc) : v;
  return out;
}

export function fillPath(path: string, values: (param: string) => string): string {
  return path.replace(/\{(\w+)\}/g, (_, p) => encodeURIComponent(values(p)));
}

/**
 * A value the schema accepts: the example, default or first enum value when
 * there is one, else the smallest thing of the right type. `uuid(name)`
 * chooses the id for a uuid-formatted property.
 */
export function exampleOf(schema: JsonSchema, uuid: (name: string) => string, name = ""): unknown {
  if (!schema) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.anyOf || schema.oneOf) return exampleOf((schema.anyOf ?? schema.oneOf)[0], uuid, name);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s: JsonSchema) => exampleOf(s, uuid, name)));
  switch (schema.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = exampleOf(v as JsonSchema, uuid, k);
      return out;
    }
    case "array":
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => exampleOf(schema.items, uuid, name));
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return false;
    case "string":
      if (schema.format === "uuid") return uuid(name);
      if (schema.format === "email") return `probe-${crypto.randomUUID().slice(0, 8)}@sec-test.kazi.example`;
      if (schema.format === "date") return "1990-04-01";
      if (schema.format === "date-time") return new Date().toISOString();
      return "Security probe text".padEnd(schema.minLength ?? 0, ".").slice(0, schema.maxLength ?? 1000);
    default:
      return null;
  }
}
