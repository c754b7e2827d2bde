// Jobs and runs: read, run now, cancel, approve or reject a blocked run, and the run's log.
import type { FastifyInstance } from 'fastify';
import { RUN_STATUSES, TERMINAL_STATUSES } from '../../contract/api';
import type { JobsResponse, Run, RunAccepted, RunLog, RunsPage, RunStatus } from '../../contract/api';
import { HttpProblem } from '../problem';
import { ConflictError } from '../../ports/errors';
import { actorOf, idParams, JOB_ID_PATTERN, noBody, noQuery, type RouteContext } from '../context';
import { SSE_ROUTE, streamEvents } from '../sse';

const TERMINAL = new Set<RunStatus>(TERMINAL_STATUSES);

export function runRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  const { engine } = deps;
  const jobParams = idParams(JOB_ID_PATTERN);
  const runParams = idParams();

  const job = (id: string) => {
    const j = engine.getJob(id);
    if (!j) throw new HttpProblem(404, `no job "${id}"`);
    return j;
  };
  const run = (id: string): Run => {
    const r = engine.getRun(id);
    if (!r) throw new HttpProblem(404, `no run "${id}"`);
    return r;
  };

  app.get('/api/v1/jobs', { config: { access: 'viewer' }, schema: { querystring: noQuery } }, async (): Promise<JobsResponse> => ({ jobs: engine.listJobs() }));

  app.get('/api/v1/jobs/:id', { config: { access: 'viewer' }, schema: { params: jobParams, querystring: noQuery } }, async (req) => job((req.params as { id: string }).id));

  app.post('/api/v1/jobs/:id/run', { config: { access: 'admin', audit: 'job.run' }, schema: { params: jobParams, querystring: noQuery, body: noBody } }, async (req, reply): Promise<RunAccepted> => {
    const { id } = req.params as { id: string };
    job(id);
    const r = engine.runNow(id, actorOf(req.principal));
    req.auditDetail = `run ${r.id}`;
    reply.code(202);
    return { runId: r.id };
  });

  if (deps.schedules) {
    const schedules = deps.schedules;
    const scheduleBody = {
      type: 'object',
      additionalProperties: false,
      required: ['schedule'],
      properties: { schedule: { anyOf: [{ type: 'string', minLength: 1, maxLength: 200 }, { type: 'null' }] } },
    } as const;
    app.put('/api/v1/jobs/:id/schedule', { config: { access: 'admin', audit: 'job.schedule' }, schema: { params: jobParams, querystring: noQuery, body: scheduleBody } }, async (req) => {
      const { id } = req.params as { id: string };
      job(id);
      const { schedule } = req.body as { schedule: string | null };
      req.auditDetail = schedule === null ? 'no schedule' : schedule;
      return schedules.setSchedule(id, schedule, actorOf(req.principal));
    });
  }

  if (engine.setEnabled) {
    const setEnabled = engine.setEnabled.bind(engine);
    for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
      app.post(`/api/v1/jobs/:id/${verb}`, { config: { access: 'admin', audit: `job.${verb}` }, schema: { params: jobParams, querystring: noQuery, body: noBody } }, async (req) => {
        const { id } = req.params as { id: string };
        job(id);
        return setEnabled(id, enabled, actorOf(req.principal));
      });
    }
  }

  app.get(
    '/api/v1/runs',
    {
      config: { access: 'viewer' },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            job: { type: 'string', pattern: JOB_ID_PATTERN },
            status: { type: 'string', enum: [...RUN_STATUSES] },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            // Opaque to clients; the engine decodes it and answers BadRequestError when it can't.
            before: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.:=+/-]+$' },
          },
        },
      },
    },
    async (req): Promise<RunsPage> => {
      const q = req.query as { job?: string; status?: RunStatus; limit: number; before?: string };
      return engine.listRuns({ job: q.job, status: q.status, limit: q.limit, before: q.before });
    },
  );

  app.get('/api/v1/runs/:id', { config: { access: 'viewer' }, schema: { params: runParams, querystring: noQuery } }, async (req) => run((req.params as { id: string }).id));

  app.get(
    '/api/v1/runs/:id/log',
    {
      config: { access: 'viewer' },
      sse: SSE_ROUTE,
      schema: {
        params: runParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tail: { type: 'integer', minimum: 1, maximum: 100_000 },
            follow: { type: 'integer', enum: [0, 1] },
          },
        },
      },
    },
    async (req, reply): Promise<RunLog | void> => {
      const { id } = req.params as { id: string };
      const q = req.query as { tail?: number; follow?: 0 | 1 };
      const r = run(id);
      const log = await engine.readLog(id, q.tail ? { tailLines: q.tail } : undefined);
      // @fastify/sse sets reply.sse only when the client accepts text/event-stream.
      const sse = (reply as { sse?: typeof reply.sse }).sse;
      if (!sse) {
        if (q.follow) throw new HttpProblem(406, 'follow=1 streams server-sent events: send Accept: text/event-stream');
        return { runId: id, log, tail: q.tail ?? null };
      }
      // Live: the current log, then this run's log lines as they come, ending with the run.
      if (TERMINAL.has(r.status)) {
        await sse.send({ event: 'log', data: { runId: id, log, tail: q.tail ?? null } satisfies RunLog });
        await sse.send({ event: 'end', data: { runId: id, status: r.status } });
        return;
      }
      streamEvents(reply, {
        hub: deps.events,
        after: null,
        maxQueued: deps.sse?.maxQueued ?? 1000,
        preamble: [{ event: 'log', data: { runId: id, log, tail: q.tail ?? null } satisfies RunLog }],
        filter: (e) => (e.event.type === 'run.log' && e.event.runId === id) || (e.event.type === 'run.finished' && e.event.run.id === id),
        endAfter: (e) => e.event.type === 'run.finished' && e.event.run.id === id,
      });
      return;
    },
  );

  const action = (name: 'cancel' | 'approve' | 'reject', fn: (id: string, actor: string) => Run) =>
    app.post(`/api/v1/runs/:id/${name}`, { config: { access: 'admin', audit: `run.${name}` }, schema: { params: runParams, querystring: noQuery, body: noBody } }, async (req) => {
      const { id } = req.params as { id: string };
      run(id);
      return fn(id, actorOf(req.principal));
    });

  action('cancel', (id, actor) => engine.cancel(id, actor));
  action('approve', (id, actor) => engine.approve(id, actor));
  action('reject', (id, actor) => {
    if (engine.reject) return engine.reject(id, actor);
    // Without a dedicated reject, rejecting is cancelling a run that waits for approval.
    const r = run(id);
    if (r.status !== 'blocked') throw new ConflictError(`run ${id} is ${r.status}, not blocked awaiting approval`);
    return engine.cancel(id, actor);
  });
}
