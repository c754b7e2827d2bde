// Routes declare their schemas in zod (contract/schema.ts). Fastify validates with ajv and
// serializes with fast-json-stringify, so each route's zod schemas are turned into the JSON Schema
// zod emits as the route is registered (app.ts's onRoute hook); the zod originals are kept for the
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

/** Makes the routes registered on `app` from now on take zod schemas (once per app). */
export function zodSchemas(app: FastifyInstance): void {
  if (converting.has(app)) return;
  converting.add(app);
  app.addHook('onRoute', (r) => {
    toFastifySchemas(r.schema, `${[r.method].flat().join(',')} ${r.url}`);
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

const REQUEST_PARTS = ['params', 'querystring', 'body', 'headers'] as const;

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
 * Replaces the zod schemas of a route's options by their JSON Schema, in place, and returns the
 * zod originals. A route with hand-written JSON Schema is refused: the API is declared once.
 */
export function toFastifySchemas(schema: FastifySchema | undefined, where: string): DeclaredSchemas {
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
    s[part] = jsonSchemaOf(v, 'input');
  }
  if (s.response) {
    const out: Record<string, unknown> = {};
    declared.response = {};
    for (const [code, v] of Object.entries(s.response as Record<string, unknown>)) {
      if (!isZod(v)) throw new Error(`${where}: schema.response.${code} must be a zod schema from contract/schema.ts`);
      declared.response[code] = v;
      out[code] = jsonSchemaOf(v, 'output');
    }
    s.response = out;
  }
  return declared;
}
