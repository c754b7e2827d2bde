// Fastify compiles an ajv validator for every route schema when the server starts, and a
// fast-json-stringify serializer for every answer schema: compiled functions and their closures
// that an idle pillarsd kept for routes most days never call (the validators alone were about 7 MB,
// bench/idle-rss.ts). Each one is compiled on its route's first use instead, by the compilers
// Fastify uses by default with the same options, so requests are judged and answers written exactly
// as before. `compileAll()` compiles every pending one: the tests call it so a broken schema still
// fails at once, not on some later first request. The JSON Schema itself is made then too
// (schema.ts PendingJsonSchema).
import ajvCompiler from '@fastify/ajv-compiler';
import serializerCompiler from '@fastify/fast-json-stringify-compiler';
import { jsonSchemaNow } from './schema';

type Factory = ReturnType<typeof ajvCompiler>;
type RouteDefinition = Parameters<ReturnType<Factory>>[0];
type Validate = ReturnType<ReturnType<Factory>>;
type SerializerFactory = ReturnType<typeof serializerCompiler>;
type SerializerRoute = Parameters<ReturnType<SerializerFactory>>[0];
type Serialize = ReturnType<ReturnType<SerializerFactory>>;

export interface LazyValidators {
  /** for Fastify's `schemaController.compilersFactory.buildValidator` */
  buildValidator: Factory;
  /** for Fastify's `schemaController.compilersFactory.buildSerializer` */
  buildSerializer: SerializerFactory;
  /** compiles every validator and serializer not compiled yet; returns how many there were */
  compileAll(): number;
}

export function lazyValidators(): LazyValidators {
  const base = ajvCompiler();
  const baseSerializer = serializerCompiler();
  const pending = new Set<() => void>();
  const buildValidator = ((externalSchemas, options) => {
    const compile = base(externalSchemas, options);
    return (route: RouteDefinition) => {
      let real: Validate | null = null;
      const force = () => {
        real ??= compile({ ...route, schema: jsonSchemaNow(route.schema) as typeof route.schema });
        pending.delete(force);
        return real;
      };
      pending.add(force);
      const lazy = ((data: unknown) => force()(data)) as Validate;
      // Fastify reads `errors` off the function it called after a failed validation
      Object.defineProperty(lazy, 'errors', { get: () => real?.errors ?? null, configurable: true });
      return lazy;
    };
  }) as Factory;
  const buildSerializer = ((externalSchemas, options) => {
    const compile = baseSerializer(externalSchemas, options);
    return (route: SerializerRoute) => {
      let real: Serialize | null = null;
      const force = () => {
        real ??= compile({ ...route, schema: jsonSchemaNow(route.schema) as typeof route.schema });
        pending.delete(force);
        return real;
      };
      pending.add(force);
      return ((data: unknown) => force()(data)) as Serialize;
    };
  }) as SerializerFactory;
  return {
    buildValidator,
    buildSerializer,
    compileAll() {
      const n = pending.size;
      for (const f of [...pending]) f();
      return n;
    },
  };
}
