import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the platform received. */
export interface Delivery {
  at: number;
  signature: string | undefined;
  contentType: string | undefined;
  rawBody: Buffer;
  body: { id: string; [key: string]: unknown };
  answered: number;
}

/** How the stub answers one delivery; by default 200 with a small JSON body at once. */
export interface Answer {
  status?: number;
  /** Waits this long before answering. */
  delayMs?: number;
  /** The reply body (default `{"ok":…}`). */
  body?: Buffer;
  /** Sends the body one byte every this many ms, after the headers (a platform that trickles its reply). */
  trickleEveryMs?: number;
  /** Sends the body chunked, without a Content-Length. */
  chunked?: boolean;
}

/**
 * A stand-in for the hosting platform's callback endpoint on 127.0.0.1: records every POST, answers with the next
 * of `answers` (200 once they are used up), and counts deliveries of one operation that are in flight at the same
 * time.
 */
export async function startPlatformStub() {
  const deliveries: Delivery[] = [];
  const answers: Answer[] = [];
  const inFlight = new Map<string, number>();
  const mostAtOnce = new Map<string, number>();
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void answer(req, res, Buffer.concat(chunks)));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function answer(req: http.IncomingMessage, res: http.ServerResponse, rawBody: Buffer) {
    const body = JSON.parse(rawBody.toString('utf8')) as Delivery['body'];
    const now = (inFlight.get(body.id) ?? 0) + 1;
    inFlight.set(body.id, now);
    mostAtOnce.set(body.id, Math.max(now, mostAtOnce.get(body.id) ?? 0));
    const next = answers.shift() ?? {};
    const status = next.status ?? 200;
    deliveries.push({
      at: Date.now(),
      signature: req.headers['x-signature'] as string | undefined,
      contentType: req.headers['content-type'],
      rawBody,
      body,
      answered: status,
    });
    try {
      if (next.delayMs) await sleep(next.delayMs);
      const reply = next.body ?? Buffer.from(JSON.stringify({ ok: status < 300 }));
      res.writeHead(status, { 'content-type': 'application/json' });
      if (next.chunked) {
        res.write(reply);
        res.end();
        return;
      }
      if (!next.trickleEveryMs) {
        res.end(reply);
        return;
      }
      for (const byte of reply) {
        if (res.destroyed) return;
        res.write(Buffer.from([byte]));
        await sleep(next.trickleEveryMs);
      }
      res.end();
    } finally {
      inFlight.set(body.id, (inFlight.get(body.id) ?? 1) - 1);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callbacks`,
    deliveries,
    answers,
    /** The most deliveries of one operation the stub was answering at the same time. */
    mostAtOnce,
    of: (operationId: string) => deliveries.filter((d) => d.body.id === operationId),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export type PlatformStub = Awaited<ReturnType<typeof startPlatformStub>>;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
