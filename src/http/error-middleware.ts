import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { classifyError } from '../error-classification';
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

/**
 * Maps every error to the contract's shape through the taxonomy's one lookup (`classifyError`): an error nobody
 * anticipated answers 500 `internal` with a generic message, and its detail (a stack, knex's SQL text) goes to the
 * log only.
 */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) return;
    const bodyParserError = BODY_PARSER_ERRORS[(error as { type?: string })?.type ?? ''];
    if (bodyParserError && !(error instanceof ServiceError)) {
      res.status(bodyParserError.status).json(errorBody(bodyParserError.code, bodyParserError.message));
      return;
    }
    const verdict = classifyError(error);
    if (!verdict.anticipated) logger.error({ err: error, method: req.method, path: req.path }, 'unexpected error');
    else if (verdict.status >= 500)
      logger.warn({ method: req.method, path: req.path, code: verdict.code }, 'request answered with a 5xx');
    res.status(verdict.status).json(errorBody(verdict.code, verdict.message, verdict.details));
  };
}
