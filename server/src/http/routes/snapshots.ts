// Snapshots of a job's repository (issue 16): the list as the repository holds it, one folder
// level of a snapshot per page, and a search by name. A viewer may list and browse; a restore and a
// download (data leaving motoko) are admin only and audited (what, and where to).
import type { FastifyInstance } from 'fastify';
import { DirListing, DumpQuery, FindQuery, FindResponse, JobParams, LsQuery, NoInput, RestoreAccepted, RestorePlan, RestoreRequest, SnapshotParams, SnapshotsQuery, SnapshotsResponse } from '../../contract/schema';
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
      req.auditDetail =
        `run ${run.id}: snapshot ${t.snapshotId.slice(0, 8)} ${t.paths.map((p) => JSON.stringify(p)).join(' ')} → ${t.destination ?? 'original places'}${t.existing ? ` (existing: ${t.existing})` : ''}`.slice(0, 1000);
      reply.code(202);
      return { runId: run.id, plan };
    },
  );

  // a file as it is, a folder as a tar or zip, streamed from restic dump: no copy on disk, and the
  // pipe's backpressure keeps memory flat; a browser link authenticates with a ticket
  app.get(
    '/api/v1/jobs/:id/snapshots/:snapshot/dump',
    { config: { access: 'admin', audit: 'snapshot.download', ticket: true, download: DOWNLOAD_TYPES }, schema: { params: SnapshotParams, querystring: DumpQuery } },
    async (req, reply) => {
      const { path, format } = req.query;
      req.auditDetail = `${JSON.stringify(path)}${format ? ` as ${format}` : ''} of snapshot ${req.params.snapshot}`.slice(0, 1000);
      const d = await api().dump(req.params.id, req.params.snapshot, { path, format });
      reply.header('content-type', d.contentType);
      reply.header('content-disposition', contentDisposition(d.filename));
      reply.header('cache-control', 'no-store');
      if (d.size !== null) reply.header('content-length', String(d.size));
      return reply.send(d.stream);
    },
  );
}

const DOWNLOAD_TYPES = ['application/octet-stream', 'application/x-tar', 'application/zip'] as const;

/** `attachment` with the name for every browser: an ASCII stand-in, and the real name in RFC 8187 form. */
export function contentDisposition(name: string): string {
  // control characters and non-ASCII cannot go into the plain filename
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
