/**
 * A FAKE chat service on 127.0.0.1: it plays Slack, Teams, DingTalk, WeCom or any webhook
 * endpoint (which cannot run here), records every request with the time it arrived, and answers
 * as the test scripts it (status, headers, body, or never).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  at: number;
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export class FakeChatServer {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  private readonly hanging: ServerResponse[] = [];

  constructor(private answer: (request: ReceivedRequest, index: number) => Answer = () => ({ status: 200, body: 'ok' })) {}

  answerWith(answer: (request: ReceivedRequest, index: number) => Answer): void {
    this.answer = answer;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: ReceivedRequest = {
          at: Date.now(),
          method: req.method ?? '',
          url: new URL(req.url ?? '/', 'http://127.0.0.1'),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(request);
        const answer = this.answer(request, this.requests.length - 1);
        if (answer === 'hang') {
          this.hanging.push(res);
          return;
        }
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  bodies<T = unknown>(): T[] {
    return this.requests.map((r) => JSON.parse(r.body) as T);
  }
}
