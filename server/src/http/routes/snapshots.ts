// Snapshots of a job's repository (issue 16): the list as the repository holds it, one folder
// level of a snapshot per page, and a search by name. A viewer may list and browse; a restore is
// admin only and audited (what it writes where is in the audit entry).
import type { FastifyInstance } from 'fastify';
import { DirListing, FindQuery, FindResponse, JobParams, LsQuery, NoInput, RestoreAccepted, RestorePlan, RestoreRequest, SnapshotParams, SnapshotsQuery, SnapshotsResponse } from '../../contract/schema';
import { HttpProblem } from '../problem';
import type { RouteContext } from '../context';
import { typed } from '../schema';

export function snapshotRoutes(fastify: FastifyInstance, { deps }: RouteContext): void {
  const app = typed(fastify);
  const api = () => {
    if (!deps.snapshots) throw new HttpProblem(503, 'this pillarsd does not read repositories');
    return deps.snapshots;
  };

  app.get('/api/v1/jobs/:id/snapshots', { config: { access: 'viewer' }, schema: { params: JobParams, querystring: SnapshotsQuery, response: { 200: SnapshotsResponse } } }, async (req) =>
    api().list(req.params.id, { refresh: req.query.refresh === 1 }),
  );

  app.get('/api/v1/jobs/:id/snapshots/:snapshot/ls', { config: { access: 'viewer' }, schema: { params: SnapshotParams, querystring: LsQuery, response: { 200: DirListing } } }, async (req) =>
    api().ls(req.params.id, req.params.snapshot, { path: req.query.path, offset: req.query.offset, limit: req.query.limit }),
  );

  app.get('/api/v1/jobs/:id/snapshots/:snapshot/find', { config: { access: 'viewer' }, schema: { params: SnapshotParams, querystring: FindQuery, response: { 200: FindResponse } } }, async (req) =>
    api().find(req.params.id, req.params.snapshot, { pattern: req.query.pattern, ignoreCase: req.query.ignoreCase === 1, limit: req.query.limit }),
  );

  app.post(
    '/api/v1/jobs/:id/snapshots/:snapshot/restore/preview',
    { config: { access: 'admin' }, schema: { params: SnapshotParams, querystring: NoInput, body: RestoreRequest, response: { 200: RestorePlan } } },
    async (req) => api().planRestore(req.params.id, req.params.snapshot, req.body),
  );

  app.post(
    '/api/v1/jobs/:id/snapshots/:snapshot/restore',
    { config: { access: 'admin', audit: 'snapshot.restore' }, schema: { params: SnapshotParams, querystring: NoInput, body: RestoreRequest, response: { 202: RestoreAccepted } } },
    async (req, reply) => {
      const { run, plan } = await api().restore(req.params.id, req.params.snapshot, req.body);
      const t = plan.task;
      // JSON strings: a name may hold a newline, which must not forge a line of the audit log
      req.auditDetail = `run ${run.id}: snapshot ${t.snapshotId.slice(0, 8)} ${t.paths.map((p) => JSON.stringify(p)).join(' ')} → ${t.destination ?? 'original places'}${t.existing ? ` (existing: ${t.existing})` : ''}`.slice(0, 1000);
      reply.code(202);
      return { runId: run.id, plan };
    },
  );
}
