// One error shape for the whole API: RFC 9457 problem JSON. Everything a client can send maps to a
// 4xx with a message naming what was wrong; only our own faults become 500, and their message stays
// in the server log (it could name paths or internals).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../contract/api';
import { BadRequestError, ConflictError, NotFoundError } from '../ports/errors';

export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problem(status: number, detail?: string): Problem {
  return { status, title: TITLES[status] ?? (status < 500 ? 'Bad Request' : 'Error'), ...(detail ? { detail } : {}) };
}

/** Thrown from hooks and handlers to answer a given problem. */
export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendProblem(reply: FastifyReply, status: number, detail?: string): FastifyReply {
  return reply.code(status).type(PROBLEM_TYPE).send(problem(status, detail));
}

/** Fastify's own codes for things clients get wrong, with the status they deserve. */
const FRAMEWORK: Record<string, number> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
  FST_ERR_BAD_URL: 400,
  FST_ERR_ASYNC_CONSTRAINT: 400,
  FST_ERR_VALIDATION: 400,
};

/**
 * The status for an error a service threw about the request (ports/errors), or for one of the
 * framework's errors that carries a 4xx `statusCode`; null for anything else, which is a 500 whose
 * message stays in the server log.
 */
function clientStatus(e: unknown): number | null {
  if (e instanceof NotFoundError) return 404;
  if (e instanceof BadRequestError) return 400;
  if (e instanceof ConflictError) return 409;
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' && s >= 400 && s < 500 ? s : null;
}

export function makeErrorHandler(log: (msg: string, err: unknown) => void) {
  return function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
    if (reply.sent || reply.raw.headersSent) return;
    if (err instanceof HttpProblem) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return sendProblem(reply, err.statusCode, err.message);
    }
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const first = err.validation[0];
      const path = first?.instancePath ? `${where}${first.instancePath.replace(/\//g, '.')}` : where;
      const msg = first ? `${path} ${first.message ?? 'is invalid'}` : err.message;
      const extra = first?.params && 'additionalProperty' in first.params ? ` (${String(first.params.additionalProperty)})` : '';
      const allowed = first?.params && 'allowedValues' in first.params ? `: ${(first.params.allowedValues as unknown[]).join(', ')}` : '';
      return sendProblem(reply, 400, `${msg}${extra}${allowed}`);
    }
    if (err instanceof BadRequestError && err.fields.length) {
      return reply
        .code(400)
        .type(PROBLEM_TYPE)
        .send({ ...problem(400, err.message), errors: err.fields });
    }
    const mapped = (err.code && FRAMEWORK[err.code]) ?? clientStatus(err);
    if (mapped) {
      // SyntaxError from JSON.parse carries statusCode 400 and a useful message (position).
      return sendProblem(reply, mapped, err.message);
    }
    log(`${req.method} ${req.routeOptions.url ?? req.url} failed`, err);
    return sendProblem(reply, 500, 'internal error; the server log has the details');
  };
}
