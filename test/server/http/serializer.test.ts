// The answers' JSON Schema as fast-json-stringify gets it (http/schema.ts serializerSchema): a
// union costs an ajv compile of the whole answer schema, so unions are flattened. The real
// fast-json-stringify must still write every kind of run exactly as the handler built it, leave
// out properties no schema declares, and need no validator at all.
import build from 'fast-json-stringify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RunsPage } from '../../../server/src/contract/schema';
import Fastify, { type FastifyInstance } from 'fastify';
import { PendingJsonSchema, serializerSchema, typed, zodSchemas } from '../../../server/src/http/schema';

const base = {
  jobId: 'flux-backup',
  status: 'succeeded',
  trigger: 'manual',
  attempt: 1,
  queuedAt: '2026-12-04T23:00:00.000Z',
  startedAt: '2026-12-04T23:00:01.000Z',
  finishedAt: null,
  exitCode: null,
  error: null,
  approvedBy: null,
  logTail: 'done\n',
};
const summaries = [
  {
    kind: 'restic-backup',
    snapshotId: 'abc',
    filesNew: 1,
    filesChanged: 2,
    filesUnmodified: 3,
    bytesAdded: 4,
    totalBytesProcessed: 5,
    totalFilesProcessed: 6,
    durationSeconds: 7.5,
    unreadable: [{ path: '/a', reason: 'EACCES' }],
  },
  { kind: 'restic-forget', kept: 3, removed: 1, pruned: true },
  { kind: 'restic-check', ok: true, readDataSubset: null },
  { kind: 'rclone-sync', bytesTransferred: 9, filesTransferred: 1, filesDeleted: 0, errors: 0, durationSeconds: 2, windowEnded: false },
  { kind: 'restic-drill', snapshotId: 'def', sampled: 3, restored: 3, compared: 2, changedSinceSnapshot: 1, mismatches: [], unreadable: [], checkOk: null, readDataSubset: '1/10', damaged: [] },
];
const runs = [
  ...summaries.map((summary, i) => ({ ...base, id: `r${i}`, progress: null, summary, block: null })),
  { ...base, id: 'p', status: 'running', progress: { percent: 50, bytesDone: 1, bytesTotal: 2, filesDone: 1, filesTotal: null, rate: null, etaSeconds: null, current: ['/x'] }, summary: null, block: null },
  {
    ...base,
    id: 'b',
    status: 'blocked',
    progress: null,
    summary: null,
    block: { guard: 'delete-threshold', message: 'too many', needsApproval: true, deletes: { count: 2, bytes: 3, percent: 40, sample: ['a'] }, approval: { count: 2, digest: 'd' } },
    task: { kind: 'recover', pillar: 'space', remote: 'b2:x', bwlimit: null, pairs: [] },
  },
];

describe('answers written without unions', () => {
  const schema = serializerSchema(z.toJSONSchema(RunsPage, { io: 'output' })) as Record<string, unknown>;

  it('has no anyOf or oneOf left, so the serializer never validates with ajv', () => {
    expect(JSON.stringify(schema)).not.toMatch(/"(anyOf|oneOf)"/);
    const debug = build(schema, { mode: 'debug' }) as unknown as { code: string };
    expect(debug.code).toMatch(/json \+=/);
    expect(debug.code).not.toMatch(/getSchemaValidator|validator\.validate/);
  });

  it('writes every kind of run, null or not, exactly as built', () => {
    const page = { runs, next: 'cursor' };
    expect(JSON.parse(build(schema)(page))).toEqual(page);
  });

  it('leaves out properties no schema declares, also inside a flattened union', () => {
    const stray = { ...runs[0]!, secret: 's3cret', summary: { ...summaries[1]!, secret: 's3cret' } };
    const out = build(schema)({ runs: [stray], next: null });
    expect(out).not.toContain('s3cret');
    expect(JSON.parse(out).runs[0].summary).toEqual(summaries[1]);
  });
});

describe("route schemas: lazily only on pillarsd's own app", () => {
  const route = (app: FastifyInstance, seen: unknown[]) => {
    // the conversion's hook first (as a route module's typed() adds it), then the one that looks
    const t = typed(app);
    app.addHook('onRoute', (r) => {
      seen.push((r.schema as { body?: unknown } | undefined)?.body);
    });
    t.post('/n', { schema: { body: z.strictObject({ n: z.number() }) } }, async (req) => req.body);
  };

  it('with lazy compilers the JSON Schema waits for first use; a bare Fastify app gets it at once and validates with it', async () => {
    const lazy = Fastify();
    const pending: unknown[] = [];
    zodSchemas(lazy, { lazy: true });
    route(lazy, pending);
    expect(pending[0]).toBeInstanceOf(PendingJsonSchema);

    const bare = Fastify();
    const made: unknown[] = [];
    route(bare, made);
    expect(made[0]).not.toBeInstanceOf(PendingJsonSchema);
    expect(made[0]).toMatchObject({ type: 'object', properties: { n: { type: 'number' } } });
    try {
      expect((await bare.inject({ method: 'POST', url: '/n', payload: { n: 2 } })).json()).toEqual({ n: 2 });
      expect((await bare.inject({ method: 'POST', url: '/n', payload: { n: 'two' } })).statusCode).toBe(400);
    } finally {
      await bare.close();
    }
  });
});
