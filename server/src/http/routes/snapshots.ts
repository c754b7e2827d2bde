// Snapshots of a job's repository (issue 16): the list as the repository holds it, one folder
// level of a snapshot per page, and a search by name. A viewer may list and browse.
import type { FastifyInstance } from 'fastify';
import { DirListing, FindQuery, FindResponse, JobParams, LsQuery, SnapshotParams, SnapshotsQuery, SnapshotsResponse } from '../../contract/schema';
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
}
