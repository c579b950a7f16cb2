// A TCP proxy between refork and its control database, to take the database away mid-run:
// `refuse` resets every connection and refuses new ones (database down or restarting),
// `blackhole` accepts but forwards nothing (a partition: queries hang), `up` forwards.
// Leaving a black hole either resumes the held connections (the partition heals) or resets them.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export type ProxyMode = 'up' | 'refuse' | 'blackhole';

interface Pair {
  client: Socket;
  server: Socket;
  /** Bytes held back while the pair is in a black hole, per direction. */
  toServer: Buffer[];
  toClient: Buffer[];
  held: boolean;
}

export class TcpProxy {
  private mode: ProxyMode = 'up';
  private readonly pairs = new Set<Pair>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => {
      if (proxy) proxy.accept(client, target);
      else client.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  /** The same database URL, through the proxy. */
  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  get current(): ProxyMode {
    return this.mode;
  }

  set(mode: ProxyMode, options: { resetHeld?: boolean } = {}): void {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'refuse') for (const pair of this.pairs) this.drop(pair);
    if (mode === 'blackhole') for (const pair of this.pairs) this.hold(pair);
    if (mode === 'up' && previous === 'blackhole') {
      for (const pair of this.pairs) {
        if (options.resetHeld) this.drop(pair);
        else this.release(pair);
      }
    }
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) this.drop(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const server = connect(target.port, target.host);
    const pair: Pair = { client, server, toServer: [], toClient: [], held: false };
    this.pairs.add(pair);
    client.on('data', (chunk: Buffer) => (pair.held ? pair.toServer.push(chunk) : server.write(chunk)));
    server.on('data', (chunk: Buffer) => (pair.held ? pair.toClient.push(chunk) : client.write(chunk)));
    const forget = () => this.drop(pair);
    client.on('error', forget).on('close', forget);
    server.on('error', forget).on('close', forget);
    if (this.mode === 'blackhole') this.hold(pair);
  }

  /** Forward nothing: bytes are kept, as a partitioned network would keep retransmitting them. */
  private hold(pair: Pair): void {
    pair.held = true;
  }

  private release(pair: Pair): void {
    pair.held = false;
    for (const chunk of pair.toServer.splice(0)) pair.server.write(chunk);
    for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.resetAndDestroy();
    pair.server.destroy();
  }
}
