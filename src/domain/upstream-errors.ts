/**
 * The upstream part of the service's error taxonomy (`src/errors.ts`), as licensing-server modules see it: the errors
 * a module throws. Kept as its own entry point so that `modules/` import nothing but pure code.
 */
export {
  UpstreamError,
  UpstreamAuthError,
  UpstreamRejectedError,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
  UpstreamProtocolError,
  ModuleConfigurationError,
} from '../errors';
