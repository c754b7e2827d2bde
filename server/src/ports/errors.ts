// What a service tells its caller went wrong with the request, without naming a transport: the
// HTTP layer answers them 404/400/409 with their message, the CLI prints them. Anything else a
// service throws is the server's own fault.

/** The thing asked for (a job, a run) does not exist. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** Input the declared schema can't judge (e.g. a cursor that doesn't decode, a setting that would not load). */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
  constructor(
    message: string,
    /** each field that was wrong, by its key path, when the request named fields */
    readonly fields: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

/** The request is understood but the state does not allow it (e.g. approve a run that isn't blocked). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}
