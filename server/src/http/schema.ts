// Routes declare their schemas in zod (contract/schema.ts). Fastify validates with ajv and
// serializes with fast-json-stringify, so each route's zod schemas are turned into the JSON Schema
// zod emits (app.ts's onRoute hook marks them as the route is registered, they are made on its
// first use); the zod originals are kept for the
// OpenAPI document and give handlers their types through the type provider below.
import type { FastifyInstance, FastifySchema, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';

/** Handlers see `req.params/query/body/headers` as the zod schemas' outputs and return their inputs. */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** Apps whose routes get their zod schemas turned into JSON Schema as they are registered. */
const converting = new WeakSet<FastifyInstance>();

/**
 * Makes the routes registered on `app` from now on take zod schemas (once per app). `lazy`: the
 * JSON Schema is made on the route's first use, which only pillarsd's own app can take (app.ts, with
 * compilers that make it then); any other Fastify app's compilers need it at once.
 */
export function zodSchemas(app: FastifyInstance, o: { lazy: boolean } = { lazy: false }): void {
  if (converting.has(app)) return;
  converting.add(app);
  app.addHook('onRoute', (r) => {
    toFastifySchemas(r.schema, `${[r.method].flat().join(',')} ${r.url}`, o);
  });
}

/** The app with zod-typed routes; a route module may be registered on any Fastify app. */
export const typed = (app: FastifyInstance) => {
  zodSchemas(app);
  return app.withTypeProvider<ZodTypeProvider>();
};

/** The JSON Schema of a request part ('input': defaults optional) or an answer ('output'). */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'throw' }) as Record<string, unknown>;
  return json;
}

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An answer's JSON Schema as fast-json-stringify gets it: without unions. To pick a union's branch
 * it validates the value with ajv, and ajv compiles the whole answer schema to reach one branch:
 * GET /api/v1/runs' first answer compiled 175 KB of validator code (35 MB allocated), kept for the
 * life of the process (bench/idle-rss.ts). So, bottom-up:
 * - a value or null: the value's schema marked `nullable` (written as null without validating);
 * - a union of objects: one object with every branch's properties, where a property the branches
 *   declare differently (the `kind` each branch fixes) is written as it is (JSON.stringify);
 * - any other union: written as it is.
 * Properties no branch declares are still left out. Requests are validated against the schemas as
 * declared, and the OpenAPI document is built from the zod originals: only the writing changes.
 */
export function serializerSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(serializerSchema);
  if (!isJson(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'properties' && isJson(v) ? Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, serializerSchema(ps)])) : serializerSchema(v);
  const key = Array.isArray(out.anyOf) ? 'anyOf' : Array.isArray(out.oneOf) ? 'oneOf' : null;
  if (!key) return out;
  const { [key]: branches, ...rest } = out as Json & Record<typeof key, Json[]>;
  const notNull = branches.filter((b) => !(b.type === 'null' && Object.keys(b).length === 1));
  let merged: Json;
  if (notNull.length === 1) merged = { ...notNull[0] };
  else if (notNull.every((b) => b.type === 'object' && isJson(b.properties) && !Array.isArray(b.anyOf) && !Array.isArray(b.oneOf))) {
    const props: Json = {};
    for (const b of notNull) {
      for (const [p, ps] of Object.entries(b.properties as Json)) props[p] = p in props && JSON.stringify(props[p]) !== JSON.stringify(ps) ? {} : ps;
    }
    merged = { type: 'object', properties: props, additionalProperties: false };
  } else merged = {};
  if (notNull.length < branches.length && Object.keys(merged).length > 0) merged.nullable = true;
  return { ...rest, ...merged };
}

const REQUEST_PARTS = ['params', 'querystring', 'body', 'headers'] as const;

/**
 * A route schema's JSON Schema, made on the route's first use (lazy-validators.ts compiles it then):
 * turning every route's zod schemas into JSON Schema at start allocated several MB and kept
 * objects most routes never need in an idle pillarsd (bench/idle-rss.ts). Fastify passes an object
 * of its own class to the compilers untouched. Headers stay eager: Fastify lowercases their names.
 */
export class PendingJsonSchema {
  #json: unknown;
  constructor(private readonly make: () => unknown) {}
  get json(): unknown {
    return (this.#json ??= this.make());
  }
}

/** The JSON Schema a compiler is given: made now when it is still pending. */
export const jsonSchemaNow = (schema: unknown): unknown => (schema instanceof PendingJsonSchema ? schema.json : schema);

/** A route's schemas as declared, before they become JSON Schema. */
export interface DeclaredSchemas {
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  headers?: z.ZodType;
  response?: Record<string, z.ZodType>;
}

const isZod = (s: unknown): s is z.ZodType => s instanceof z.ZodType;
/** Fastify registers a GET's HEAD twin with the same (already converted) schema object. */
const converted = new WeakMap<object, DeclaredSchemas>();

/**
 * Replaces the zod schemas of a route's options by their JSON Schema (pending until the route's
 * first use, headers at once), in place, and returns the zod originals. A route with hand-written JSON Schema is refused: the API is declared once.
 */
export function toFastifySchemas(schema: FastifySchema | undefined, where: string, o: { lazy: boolean } = { lazy: true }): DeclaredSchemas {
  const later = (make: () => unknown) => (o.lazy ? new PendingJsonSchema(make) : make());
  const declared: DeclaredSchemas = {};
  if (!schema) return declared;
  const done = converted.get(schema);
  if (done) return done;
  converted.set(schema, declared);
  const s = schema as Record<string, unknown>;
  for (const part of REQUEST_PARTS) {
    const v = s[part];
    if (v === undefined) continue;
    if (!isZod(v)) throw new Error(`${where}: schema.${part} must be a zod schema from contract/schema.ts`);
    declared[part] = v;
    s[part] = part === 'headers' ? jsonSchemaOf(v, 'input') : later(() => jsonSchemaOf(v, 'input'));
  }
  if (s.response) {
    const out: Record<string, unknown> = {};
    declared.response = {};
    for (const [code, v] of Object.entries(s.response as Record<string, unknown>)) {
      if (!isZod(v)) throw new Error(`${where}: schema.response.${code} must be a zod schema from contract/schema.ts`);
      declared.response[code] = v;
      out[code] = later(() => serializerSchema(jsonSchemaOf(v, 'output')));
    }
    s.response = out;
  }
  return declared;
}
