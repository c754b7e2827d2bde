// The Fastify app, built apart from listening so tests can `inject` or bind a real port.
import Fastify, { type FastifyInstance } from 'fastify';
import type { HealthResponse } from '../contract/api';
import { VERSION } from '../version';

export interface AppDeps {
  logger?: boolean;
}

export async function buildApp(_deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/api/v1/health', async (): Promise<HealthResponse> => ({ ok: true, version: VERSION }));
  return app;
}
