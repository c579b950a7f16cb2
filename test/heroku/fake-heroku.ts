// A scripted stand-in for Heroku's HTTP answers: each request takes the next queued reply and is
// recorded (method, url, headers, body) so tests can assert exactly what the client sent.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Destroys the socket after reading the request: the client sees ECONNRESET. */
  | { kind: 'reset' }
  /** Never answers: for timeouts and aborts. */
  | { kind: 'hang' };

export interface FakeHeroku {
  url: string;
  requests: RecordedRequest[];
  /** Replies consumed in order; when none is left the fake answers 599 so a test fails loudly. */
  queue(...replies: Reply[]): void;
  close(): Promise<void>;
}

export const reset: Reply = { kind: 'reset' };
export const hang: Reply = { kind: 'hang' };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

export async function startFakeHeroku(): Promise<FakeHeroku> {
  const requests: RecordedRequest[] = [];
  const replies: Reply[] = [];
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const reply = replies.shift() ?? json(599, { id: 'unscripted', message: `no reply queued for ${req.method} ${req.url}` });
      if ('kind' in reply) {
        if (reply.kind === 'reset') req.socket.destroy();
        else hanging.add(res);
        return;
      }
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      res.end(text);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    queue: (...more) => {
      replies.push(...more);
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
