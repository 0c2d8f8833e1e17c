import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { RequestListener } from 'node:http';
import type { Config } from '../config/schema';
import { ConfigError } from '../errors';

export interface ListeningServer {
  server: http.Server;
  /** `http://…` or `https://…`, with the port actually bound (a wildcard host shows as 127.0.0.1). */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `app` on `http.host:http.port`: plain HTTP, or HTTPS when `http.tls` names a certificate and key (PEM) for a
 * provider without a TLS proxy in front. A file that cannot be read, or a pair that does not make a TLS context, is
 * a `ConfigError` naming the field.
 */
export async function startHttpServer(app: RequestListener, options: Config['http']): Promise<ListeningServer> {
  const server = options.tls ? https.createServer(tlsOptions(options.tls), app) : http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function tlsOptions(files: NonNullable<Config['http']['tls']>): https.ServerOptions {
  const options = {
    cert: readPem('http.tls.certFile', files.certFile),
    key: readPem('http.tls.keyFile', files.keyFile),
  };
  try {
    // Fails now, with the fields named, rather than at the first client's handshake.
    tls.createSecureContext(options);
    return options;
  } catch (error) {
    throw new ConfigError(
      `http.tls.certFile and http.tls.keyFile do not make a usable certificate and key: ${(error as Error).message}`,
    );
  }
}

function readPem(field: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ConfigError(`${field}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
