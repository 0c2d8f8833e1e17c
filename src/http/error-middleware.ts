import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/database';
import { NotFoundError, ServiceError } from '../errors';

/** The contract's error body. */
export function errorBody(code: string, message: string, details: unknown = null) {
  return { error: { code, message, details } };
}

/** Errors thrown by express's body parser, by their `type`. */
const BODY_PARSER_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'invalid_json', message: 'the request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'the request body is too large' },
  'encoding.unsupported': { status: 415, code: 'unsupported_media_type', message: 'unsupported content encoding' },
  'charset.unsupported': { status: 415, code: 'unsupported_media_type', message: 'the body must be UTF-8 JSON' },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'the request was aborted' },
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no route ${req.method} ${req.path}`));
};

/** Maps every error to the contract's shape; unexpected errors become a 500 without a stack trace. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) return;
    if (error instanceof ServiceError) {
      res.status(error.status).json(errorBody(error.code, error.message, error.details));
      return;
    }
    const bodyParserError = BODY_PARSER_ERRORS[(error as { type?: string })?.type ?? ''];
    if (bodyParserError) {
      res.status(bodyParserError.status).json(errorBody(bodyParserError.code, bodyParserError.message));
      return;
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn({ method: req.method, path: req.path, err: (error as Error).message }, 'database unavailable');
      res
        .status(503)
        .json(
          errorBody('dependency_down', 'the database does not answer; try again shortly', { dependency: 'database' }),
        );
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'unexpected error');
    res.status(500).json(errorBody('internal', 'internal error; the log has the details'));
  };
}
