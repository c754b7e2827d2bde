// Fastify compiles an ajv validator for every route schema when the server starts: 60 compiled
// functions and their closures, about 7 MB that an idle pillarsd kept for routes most days never
// call (bench/idle-rss.ts). Each route's validator is compiled on its first request instead, by
// the same compiler Fastify uses by default with the same options, so it accepts and rejects
// exactly the same input. `compileAll()` compiles every pending one: the tests call it so a broken
// schema still fails at once, not on some later first request.
import ajvCompiler from '@fastify/ajv-compiler';

type Factory = ReturnType<typeof ajvCompiler>;
type RouteDefinition = Parameters<ReturnType<Factory>>[0];
type Validate = ReturnType<ReturnType<Factory>>;

export interface LazyValidators {
  /** for Fastify's `schemaController.compilersFactory.buildValidator` */
  buildValidator: Factory;
  /** compiles every validator not compiled yet; returns how many there were */
  compileAll(): number;
}

export function lazyValidators(): LazyValidators {
  const base = ajvCompiler();
  const pending = new Set<() => void>();
  const buildValidator = ((externalSchemas, options) => {
    const compile = base(externalSchemas, options);
    return (route: RouteDefinition) => {
      let real: Validate | null = null;
      const force = () => {
        real ??= compile(route);
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
  return {
    buildValidator,
    compileAll() {
      const n = pending.size;
      for (const f of [...pending]) f();
      return n;
    },
  };
}
