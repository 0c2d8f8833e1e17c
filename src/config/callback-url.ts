import { isIP } from 'node:net';
import { ConfigError } from '../errors';

/**
 * A URL the service sends to: `platform.callbackUrl` carries every finished operation (activation keys included) to
 * the platform, `alerts.webhookUrl` every alert. It must be `http` or `https`, and in production `https`, except
 * plain `http` to a loopback address (a receiver on the same host, or a TLS proxy beside it).
 * @param field the configuration field, named in the error.
 * @throws ConfigError naming the field otherwise.
 */
export function assertOutboundUrlAllowed(field: string, outboundUrl: string | undefined, env: string): void {
  if (!outboundUrl) return;
  const url = new URL(outboundUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`${field}: must be an http(s) URL, not ${url.protocol}`);
  if (env === 'production' && url.protocol === 'http:' && !isLoopback(url.hostname))
    throw new ConfigError(
      `${field}: must be https in production (plain http only to a loopback address such as 127.0.0.1)`,
    );
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:(127\.|7f)/.test(host);
  return false;
}
