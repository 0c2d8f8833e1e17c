import net from 'node:net';

/**
 * What the proxy does to traffic, from the moment it is set (keep-alive connections included, chunk by chunk):
 * - `pass`: forwards both ways;
 * - `latency`: holds every chunk towards the server for `ms` (in order), so a call may reach the server after the
 *   client gave up on it; the server connection is kept until the server answered (the answer is then dropped);
 * - `blackhole`: swallows what the client sends and never answers (the connection stays open until the client
 *   gives up): the client's time-out fires and nothing reaches the server;
 * - `reset-on-connect`: new connections are reset at once (and data on old ones resets them);
 * - `reset-mid-request`: forwards half of the client's next chunk, then resets both sides (the server never gets a
 *   whole request, so the call is not performed);
 * - `reset-mid-response`: forwards the request whole, then half of the server's first answer chunk, then resets
 *   both sides (the server performed the call; the client lost the answer).
 */
export type ProxyMode =
  | { kind: 'pass' }
  | { kind: 'latency'; ms: number }
  | { kind: 'blackhole' }
  | { kind: 'reset-on-connect' }
  | { kind: 'reset-mid-request' }
  | { kind: 'reset-mid-response' };

/** Counts of what the proxy did, for assertions that the fault really happened. */
export interface ProxyStats {
  connections: number;
  /** Client chunks swallowed by the black hole. */
  swallowed: number;
  /** Connections reset by the proxy (any reset mode). */
  resets: number;
  /** Client chunks delayed by `latency`. */
  delayed: number;
}

interface Link {
  client: net.Socket;
  server: net.Socket;
  /** Writes towards the server, in order (latency holds them here). */
  chain: Promise<void>;
  blackholed: boolean;
  resetOnAnswer: boolean;
  clientGone: boolean;
}

/** How long a server connection is kept after its client left, so a delayed request is still delivered. */
const SERVER_GRACE_MS = 5_000;

/** A TCP proxy on 127.0.0.1 in front of `targetHost:targetPort`, whose behaviour a test switches at will. */
export class TcpProxy {
  private mode: ProxyMode = { kind: 'pass' };
  private readonly links = new Set<Link>();
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly stats: ProxyStats = { connections: 0, swallowed: 0, resets: 0, delayed: 0 };

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {}

  static async start(target: { port: number; host?: string }): Promise<TcpProxy> {
    const server = net.createServer({ allowHalfOpen: false });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    const proxy = new TcpProxy(server, port, target.port, target.host ?? '127.0.0.1');
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** `http://127.0.0.1:<proxy port><path>`. */
  url(path = ''): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
  }

  /** Resets every black-holed connection, as a peer that comes back answers RST to a connection it forgot. */
  resetBlackholed(): number {
    let count = 0;
    for (const link of [...this.links]) {
      if (!link.blackholed) continue;
      this.reset(link);
      count++;
    }
    return count;
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const link of this.links) {
      link.client.destroy();
      link.server.destroy();
    }
    this.links.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    if (this.mode.kind === 'reset-on-connect') {
      this.stats.resets++;
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const server = net.connect(this.targetPort, this.targetHost);
    const link: Link = {
      client,
      server,
      chain: Promise.resolve(),
      blackholed: false,
      resetOnAnswer: false,
      clientGone: false,
    };
    this.links.add(link);
    client.on('error', () => undefined);
    server.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => this.fromClient(link, chunk));
    server.on('data', (chunk: Buffer) => this.fromServer(link, chunk));
    client.on('close', () => {
      link.clientGone = true;
      // A request still held by `latency` is delivered; the server connection goes after a grace period.
      void link.chain.then(() => this.later(() => this.drop(link), SERVER_GRACE_MS));
    });
    server.on('close', () => {
      if (!link.blackholed) link.client.destroy();
      if (link.clientGone || !link.blackholed) this.links.delete(link);
    });
  }

  private fromClient(link: Link, chunk: Buffer): void {
    if (link.blackholed) {
      this.stats.swallowed++;
      return;
    }
    const mode = this.mode;
    switch (mode.kind) {
      case 'pass':
        this.toServer(link, chunk, 0);
        return;
      case 'latency':
        this.stats.delayed++;
        this.toServer(link, chunk, mode.ms);
        return;
      case 'blackhole':
        link.blackholed = true;
        this.stats.swallowed++;
        return;
      case 'reset-on-connect':
        this.reset(link);
        return;
      case 'reset-mid-request':
        link.chain = link.chain.then(
          () =>
            new Promise<void>((resolve) => {
              const half = chunk.subarray(0, Math.floor(chunk.length / 2));
              link.server.write(half, () => {
                this.reset(link);
                resolve();
              });
            }),
        );
        return;
      case 'reset-mid-response':
        link.resetOnAnswer = true;
        this.toServer(link, chunk, 0);
        return;
    }
  }

  private fromServer(link: Link, chunk: Buffer): void {
    if (link.blackholed || link.clientGone) return;
    if (!link.resetOnAnswer) {
      link.client.write(chunk);
      return;
    }
    const half = chunk.subarray(0, Math.floor(chunk.length / 2));
    link.client.write(half, () => this.reset(link));
  }

  private toServer(link: Link, chunk: Buffer, delayMs: number): void {
    link.chain = link.chain.then(async () => {
      if (delayMs > 0) await new Promise<void>((resolve) => this.later(resolve, delayMs));
      if (!link.server.destroyed) link.server.write(chunk);
    });
  }

  private reset(link: Link): void {
    this.stats.resets++;
    if (!link.client.destroyed) link.client.resetAndDestroy();
    if (!link.server.destroyed) link.server.resetAndDestroy();
    this.links.delete(link);
  }

  private drop(link: Link): void {
    link.server.destroy();
    this.links.delete(link);
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}
