// The scale bench's page server on 127.0.0.1: the bundled page (viewPage.ts, its CSS and HTML) and
// POST /view, which the page's data source calls with { inspection, request } for each request a
// view makes; the bench answers it from the engine process, as the presenter forwards the panel's.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { AttentionReply, AttentionRequest } from '../../src/protocol';
import { encodeReply } from './replyWire';

/** Answers one view request; the server times it (the engine's part of a view). */
export type AnswerView = (inspection: number, request: AttentionRequest) => Promise<AttentionReply>;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

export class ViewServer {
  /** Where requests go now: the current model's engine. */
  answer: AnswerView = () => Promise.reject(new Error('no engine to ask'));
  /** How long each answer took, in order; the bench empties it per interaction. */
  readonly engineMs: number[] = [];
  private readonly server: Server = createServer((req, res) => this.handle(req, res));
  private address = '';

  private constructor(private readonly dir: string) {}

  /** Serves `dir` (index.html and what it loads) and the view requests. */
  static async start(dir: string): Promise<ViewServer> {
    const server = new ViewServer(dir);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    server.address = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/`;
    return server;
  }

  /** The page's address. */
  get url(): string {
    return this.address;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'POST' && req.url === '/view') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { inspection, request } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { inspection: number; request: AttentionRequest };
        const start = performance.now();
        this.answer(inspection, request).then((reply) => {
          this.engineMs.push(performance.now() - start);
          res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(encodeReply(reply));
        }, (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.message : String(err));
        });
      });
      return;
    }
    const name = path.basename(req.url === '/' ? 'index.html' : req.url ?? '');
    let file: Buffer;
    try {
      file = readFileSync(path.join(this.dir, name));
    } catch {
      res.writeHead(404).end(); // the browser's favicon.ico
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream' }).end(file);
  }
}
