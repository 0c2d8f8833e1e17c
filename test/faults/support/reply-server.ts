import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny HTTP server standing in for a licensing server: every POST is answered 200 with whatever `respond` returns
 * for its form (`text/xml`). Records the `func` of each call.
 */
export class ReplyServer {
  respond: (form: URLSearchParams) => string | Buffer = () => '<doc/>';
  readonly funcs: string[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ReplyServer> {
    const holder: { self?: ReplyServer } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        holder.self!.funcs.push(form.get('func') ?? '');
        let body: string | Buffer;
        try {
          body = holder.self!.respond(form);
        } catch (error) {
          res.writeHead(500).end(String(error));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    holder.self = new ReplyServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/billmgr`);
    return holder.self;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
