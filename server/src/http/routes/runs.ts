// Jobs and runs: read, run now, cancel, approve or reject a blocked run, and the run's log.
import type { FastifyInstance } from 'fastify';
import { TERMINAL_STATUSES, type Run, type RunLog } from '../../contract/api';
import {
  ApproveRequest,
  ChangeSetPage,
  ChangeSetQuery,
  JobInfo,
  JobParams,
  JobsResponse,
  NoInput,
  Run as RunSchema,
  RunAccepted,
  RunLog as RunLogSchema,
  RunLogQuery,
  RunParams,
  RunsPage,
  RunsQuery,
  ScheduleRequest,
  JobSettings,
  JobSettingsRequest,
} from '../../contract/schema';
import { HttpProblem } from '../problem';
import { ConflictError } from '../../ports/errors';
import { actorOf, type RouteContext } from '../context';
import { typed } from '../schema';
import { SSE_ROUTE, streamEvents } from '../sse';

export function runRoutes(fastify: FastifyInstance, { deps, streams }: RouteContext): void {
  const app = typed(fastify);
  const { engine } = deps;

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

  app.get('/api/v1/jobs', { config: { access: 'viewer' }, schema: { querystring: NoInput, response: { 200: JobsResponse } } }, async () => ({ jobs: engine.listJobs() }));

  app.get('/api/v1/jobs/:id', { config: { access: 'viewer' }, schema: { params: JobParams, querystring: NoInput, response: { 200: JobInfo } } }, async (req) => job(req.params.id));

  app.post('/api/v1/jobs/:id/run', { config: { access: 'admin', audit: 'job.run' }, schema: { params: JobParams, querystring: NoInput, body: NoInput, response: { 202: RunAccepted } } }, async (req, reply) => {
    const { id } = req.params;
    job(id);
    const r = engine.runNow(id, actorOf(req.principal));
    req.auditDetail = `run ${r.id}`;
    reply.code(202);
    return { runId: r.id };
  });

  if (deps.schedules) {
    const schedules = deps.schedules;
    app.put('/api/v1/jobs/:id/schedule', { config: { access: 'admin', audit: 'job.schedule' }, schema: { params: JobParams, querystring: NoInput, body: ScheduleRequest, response: { 200: JobInfo } } }, async (req) => {
      const { id } = req.params;
      job(id);
      const { schedule } = req.body;
      req.auditDetail = schedule === null ? 'no schedule' : schedule;
      return schedules.setSchedule(id, schedule, actorOf(req.principal));
    });
  }

  if (deps.settings) {
    const settings = deps.settings;
    app.get('/api/v1/jobs/:id/settings', { config: { access: 'admin' }, schema: { params: JobParams, querystring: NoInput, response: { 200: JobSettings } } }, async (req) => {
      job(req.params.id);
      return settings.settings(req.params.id);
    });
    app.patch(
      '/api/v1/jobs/:id/settings',
      { config: { access: 'admin', audit: 'job.settings' }, schema: { params: JobParams, querystring: NoInput, body: JobSettingsRequest, response: { 200: JobSettings } } },
      async (req) => {
        const { id } = req.params;
        job(id);
        const { edits } = req.body;
        // what changed, by key: values may be long (hook commands) and the file has them
        req.auditDetail = edits
          .map((e) => `${e.section === 'notifications' ? 'notifications.' : ''}${e.path.join('.')}${e.value === null ? ' removed' : ''}`)
          .join(', ')
          .slice(0, 500);
        return settings.update(id, edits, actorOf(req.principal));
      },
    );
  }

  const enabledSetter = deps.settings ?? engine;
  if (enabledSetter.setEnabled) {
    // written into pillarsd.yaml when it can be (serve), else kept in the state database
    const setEnabled = enabledSetter.setEnabled.bind(enabledSetter);
    for (const [verb, enabled] of [
      ['enable', true],
      ['disable', false],
    ] as const) {
      app.post(`/api/v1/jobs/:id/${verb}`, { config: { access: 'admin', audit: `job.${verb}` }, schema: { params: JobParams, querystring: NoInput, body: NoInput, response: { 200: JobInfo } } }, async (req) => {
        const { id } = req.params;
        job(id);
        return setEnabled(id, enabled, actorOf(req.principal));
      });
    }
  }

  app.get('/api/v1/runs', { config: { access: 'viewer' }, schema: { querystring: RunsQuery, response: { 200: RunsPage } } }, async (req) => {
    const q = req.query;
    return engine.listRuns({ job: q.job, status: q.status, limit: q.limit, before: q.before });
  });

  app.get('/api/v1/runs/:id', { config: { access: 'viewer' }, schema: { params: RunParams, querystring: NoInput, response: { 200: RunSchema } } }, async (req) => run(req.params.id));

  // The run is looked up before @fastify/sse takes the reply: once it has, a thrown 404 can only end
  // an empty 200 stream, which an EventSource reconnects to for ever.
  app.get(
    '/api/v1/runs/:id/log',
    {
      config: { access: 'viewer', stream: 'run-log' },
      sse: SSE_ROUTE,
      preHandler: async (req) => void run(req.params.id),
      schema: { params: RunParams, querystring: RunLogQuery, response: { 200: RunLogSchema } },
    },
    async (req, reply) => {
      const { id } = req.params;
      const q = req.query;
      const r = run(id);
      const log = await engine.readLog(id, q.tail ? { tailLines: q.tail } : undefined);
      // @fastify/sse sets reply.sse only when the client accepts text/event-stream.
      const sse = (reply as { sse?: typeof reply.sse }).sse;
      if (!sse) {
        if (q.follow) throw new HttpProblem(406, 'follow=1 streams server-sent events: send Accept: text/event-stream');
        return { runId: id, log, tail: q.tail ?? null };
      }
      // Live: the current log, then this run's log lines as they come, ending with the run.
      if (TERMINAL_STATUSES.includes(r.status)) {
        await sse.send({ event: 'log', data: { runId: id, log, tail: q.tail ?? null } satisfies RunLog });
        await sse.send({ event: 'end', data: { runId: id, status: r.status } });
        return;
      }
      streamEvents(reply, {
        hub: deps.events,
        streams,
        after: null,
        maxQueued: deps.sse?.maxQueued ?? 1000,
        preamble: [{ event: 'log', data: { runId: id, log, tail: q.tail ?? null } satisfies RunLog }],
        filter: (e) => (e.event.type === 'run.log' && e.event.runId === id) || (e.event.type === 'run.finished' && e.event.run.id === id),
        endAfter: (e) => e.event.type === 'run.finished' && e.event.run.id === id,
      });
      return;
    },
  );

  const action = (name: 'cancel' | 'reject', fn: (id: string, actor: string) => Run) =>
    app.post(`/api/v1/runs/:id/${name}`, { config: { access: 'admin', audit: `run.${name}` }, schema: { params: RunParams, querystring: NoInput, body: NoInput, response: { 200: RunSchema } } }, async (req) => {
      const { id } = req.params;
      run(id);
      return fn(id, actorOf(req.principal));
    });

  action('cancel', (id, actor) => engine.cancel(id, actor));
  action('reject', (id, actor) => {
    if (engine.reject) return engine.reject(id, actor);
    // Without a dedicated reject, rejecting is cancelling a run that waits for approval.
    const r = run(id);
    if (r.status !== 'blocked') throw new ConflictError(`run ${id} is ${r.status}, not blocked awaiting approval`);
    return engine.cancel(id, actor);
  });

  // An approval names what the approver was shown: the count and digest of the run's listed set
  // (BlockInfo.approval, the pages below). A run whose set differs refuses it (409).
  app.post('/api/v1/runs/:id/approve', { config: { access: 'admin', audit: 'run.approve' }, schema: { params: RunParams, querystring: NoInput, body: ApproveRequest, response: { 200: RunSchema } } }, async (req) => {
    const { id } = req.params;
    run(id);
    const seen = req.body;
    req.auditDetail = `${seen.count} file(s), set ${seen.digest.slice(0, 12)}`;
    return engine.approve(id, actorOf(req.principal), seen);
  });

  if (engine.changeSet) {
    const changeSet = engine.changeSet.bind(engine);
    for (const kind of ['deletions', 'overwrites'] as const) {
      app.get(`/api/v1/runs/:id/${kind}`, { config: { access: 'viewer' }, schema: { params: RunParams, querystring: ChangeSetQuery, response: { 200: ChangeSetPage } } }, async (req) => {
        const { id } = req.params;
        run(id);
        return changeSet(id, kind, req.query);
      });
    }
  }
}
