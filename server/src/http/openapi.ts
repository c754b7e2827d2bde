// The OpenAPI 3.1 document of the API, served at GET /api/v1/openapi.json: built from the routes
// Fastify registered and the zod schemas they declared (contract/schema.ts), so it cannot leave a
// route out or describe one differently from how it is validated and serialized.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { API_VERSION } from '../contract/api';
import { components, NoInput, OpenApiDocument, Problem, RunLog, StoredEvent } from '../contract/schema';
import type { RouteEntry } from './context';
import { PROBLEM_TYPE } from './problem';
import { VERSION } from '../version';

type Json = Record<string, unknown>;
const REF = (id: string) => `#/components/schemas/${id}`;

/** The JSON Schema of a zod schema with every named one (components) as a `$ref`. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const id = components.get(schema)?.id;
  if (id) return { $ref: REF(id) };
  const json = z.toJSONSchema(schema, { io, metadata: components, unrepresentable: 'throw' }) as Json;
  const { $schema: _dialect, $defs: _defs, ...rest } = json;
  // zod names the components it meets `#/$defs/<id>`; they are the document's components
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
}

function componentSchemas(): Json {
  const out: Json = {};
  for (const io of ['output', 'input'] as const) {
    const { schemas } = z.toJSONSchema(components, { io, uri: REF, unrepresentable: 'throw' }) as { schemas: Record<string, Json> };
    for (const [id, s] of Object.entries(schemas)) {
      // answers are written as output, requests (PairRequest) as input; the first wins
      if (out[id]) continue;
      const { $schema: _d, $id: _i, ...rest } = s;
      out[id] = rest;
    }
  }
  return out;
}

/** Path, query and header parameters from a zod object. */
function parameters(where: 'path' | 'query' | 'header', schema: z.ZodType | undefined): Json[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || required.has(name), schema: rest, ...(description ? { description } : {}) };
  });
}

const TAGS: Array<[RegExp, string]> = [
  [/^\/api\/v1\/(jobs|runs)/, 'jobs and runs'],
  [/^\/api\/v1\/events/, 'events'],
  [/^\/api\/v1\/(pair|tokens|me)/, 'access'],
  [/^\/api\/v1\/samba/, 'samba'],
  [/^\/api\/v1\/hotsets/, 'hot-sets'],
  [/^\/api\/v1\/notifications/, 'notifications'],
  [/^\/api\/v1\/(status|health|audit|openapi)/, 'server'],
];

function operation(r: RouteEntry, stream: 'events' | 'run-log' | undefined): Json {
  if (!r.download) return operationWith(r, stream, {});
  // bytes as the tool writes them, in one of the route's media types
  const content = Object.fromEntries(r.download.map((m) => [m, { schema: { type: 'string', contentMediaType: m } }]));
  return operationWith(r, stream, { '200': { description: 'the bytes, streamed', content } });
}

function operationWith(r: RouteEntry, stream: 'events' | 'run-log' | undefined, extra: Json): Json {
  const s = r.schemas;
  const responses: Json = { ...extra };
  for (const [code, schema] of Object.entries(s.response ?? {})) {
    responses[code] = {
      description: components.get(schema)?.description ?? `${code === '201' ? 'created' : code === '202' ? 'accepted' : 'the answer'}`,
      content: { 'application/json': { schema: schemaOf(schema, 'output') } },
    };
  }
  if (stream) {
    const data = stream === 'events' ? StoredEvent : RunLog;
    const ok = (responses['200'] ?? { description: 'the stream', content: {} }) as { description: string; content: Json };
    ok.content['text/event-stream'] = {
      schema: {
        type: 'string',
        description: `server-sent events (Accept: text/event-stream); each \`data:\` is JSON: ${stream === 'events' ? 'a StoredEvent (`event:` is its type, `id:` its id)' : 'first a RunLog (`event: log`), then `run.log` events, then `event: end`'}`,
      },
      'x-event-data': schemaOf(data, 'output'),
    };
    responses['200'] = ok;
  }
  responses.default = { description: 'a problem: what was wrong, in `detail`', content: { [PROBLEM_TYPE.split(';')[0]!]: { schema: schemaOf(Problem, 'output') } } };
  const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
  const op: Json = {
    operationId: `${r.method.toLowerCase()}${path
      .replace(/^\/api\/v1/, '')
      .replace(/[{}]/g, '')
      .replace(/[/-]+([a-z])/g, (_m, c: string) => c.toUpperCase())}`,
    tags: [TAGS.find(([re]) => re.test(r.url))?.[1] ?? 'server'],
    security: r.access === 'none' ? [] : [{ bearer: [] }],
    'x-pillars-access': r.access,
    ...(r.audit ? { 'x-pillars-audit': r.audit } : {}),
    parameters: [...parameters('path', s.params), ...parameters('query', s.querystring), ...parameters('header', s.headers)],
    responses,
  };
  if (s.body) op.requestBody = { required: s.body !== NoInput, content: { 'application/json': { schema: schemaOf(s.body, 'input') } } };
  return op;
}

/** The document for the routes registered under /api/. */
function openApiDocument(routes: readonly RouteEntry[], version = VERSION): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    if (!r.url.startsWith('/api/') || r.method === 'HEAD') continue;
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(r, r.stream ?? undefined);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'pillarsd',
      version,
      description: `The HTTP API ${API_VERSION} of pillarsd, the companion server of Pillars. Errors are RFC 9457 problem JSON. docs/api.md says more.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    paths,
    components: { schemas: componentSchemas(), securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token (pillarsd token create, or pairing)' } } },
  };
}

/** Registers GET /api/v1/openapi.json (public: it holds no data). The document is built once, on first request. */
export function openApiRoute(app: FastifyInstance, version?: string): void {
  let doc: string | null = null;
  app.get('/api/v1/openapi.json', { config: { access: 'none' }, schema: { querystring: NoInput, response: { 200: OpenApiDocument } } }, async (_req, reply) => {
    doc ??= JSON.stringify(openApiDocument(app.routeTable, version));
    return reply.type('application/json; charset=utf-8').send(doc);
  });
}
