// Disaster recovery from the offsite remote (issue 16): what the remote holds of a pillar's folders
// and whether the pillar may take them (a plan, listed from the remote), then the recovery queued as
// a run, only when the start names the digest of the plan as it is listed again. Admin only, and the
// start is audited: it writes a whole disk.
import type { FastifyInstance } from 'fastify';
import { NoInput, RecoverAccepted, RecoverPlan, RecoverQuery, RecoverRequest } from '../../contract/schema';
import { HttpProblem } from '../problem';
import type { RouteContext } from '../context';
import { typed } from '../schema';

export function recoverRoutes(fastify: FastifyInstance, { deps }: RouteContext): void {
  const app = typed(fastify);
  const api = () => {
    if (!deps.recovery) throw new HttpProblem(503, 'this pillarsd does not run recoveries');
    return deps.recovery;
  };

  app.get('/api/v1/recover/plan', { config: { access: 'admin' }, schema: { querystring: RecoverQuery, response: { 200: RecoverPlan } } }, async (req) => api().plan(req.query.pillar, req.query.from));

  app.post('/api/v1/recover', { config: { access: 'admin', audit: 'recover.start' }, schema: { querystring: NoInput, body: RecoverRequest, response: { 202: RecoverAccepted } } }, async (req, reply) => {
    const { run, plan } = await api().start(req.body);
    req.auditDetail = `run ${run.id}: pillar ${plan.task.pillar} from ${plan.task.remote}, plan ${plan.digest.slice(0, 12)}${plan.task.bwlimit ? ` (bwlimit ${plan.task.bwlimit})` : ''}${plan.resumes ? `, going on with the recovery started ${plan.resumes.startedAt}` : ''}`;
    reply.code(202);
    return { runId: run.id, plan };
  });
}
