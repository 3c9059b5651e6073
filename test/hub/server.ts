// A local stand-in for the Hugging Face Hub, enough for @huggingface/hub's modelInfo, listFiles,
// fileDownloadInfo and downloadFile: it serves folders such as ../shared/models as model repos,
// answering with the headers the Hub sends. Tests start it in-process; CI runs it as a command
// (`node --import tsx test/hub/server.ts --port N`) and points HF_ENDPOINT at the URL it prints.
// Files are served as they are on disk (the fixture's float32 safetensors, not the Hub's bf16 one).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { directoriesOf, scanRepo, type EmulatedFile, type EmulatedRepo } from './repoFiles';

/** The fixture models beside the repository. */
export const MODELS_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'models');
/** A repo that answers 401 without a token and 403 with a wrong one, like a gated model. */
export const GATED_REPO = 'attention-lens-test/gated-TinyStories-656K';
/** The token the gated repo accepts. */
export const EMULATOR_TOKEN = 'hf_attention_lens_emulator_token';

/** A folder served as a repo; with `token`, requests must carry `Authorization: Bearer <token>`. */
export interface MountedRepo {
  dir: string;
  token?: string;
}

/** Failures to inject; change them on a running emulator through `faults`. */
export interface HubFaults {
  /** Announce a wrong sha256 for every LFS file, in the ETag headers and in the tree listing. */
  lieAboutSha256?: boolean;
  /** Drop the connection after this many body bytes of a file download longer than that. */
  cutAfterBytes?: number;
  /** Pause between 64 KiB chunks of a file body, so that a cancel can land mid-file. */
  chunkDelayMs?: number;
}

export interface HubEmulatorOptions {
  repos?: Record<string, MountedRepo>;
  port?: number;
  faults?: HubFaults;
}

/** The fixtures as repos: the Hub id of TinyStories-656K, a gated copy, and `fixtures/<folder>`. */
export function fixtureRepos(modelsDir = MODELS_DIR): Record<string, MountedRepo> {
  const tinyStories = path.join(modelsDir, 'tinystories-656k');
  const repos: Record<string, MountedRepo> = {
    'raincandy-u/TinyStories-656K': { dir: tinyStories },
    [GATED_REPO]: { dir: tinyStories, token: EMULATOR_TOKEN },
  };
  for (const entry of readdirSync(modelsDir, { withFileTypes: true })) {
    if (entry.isDirectory()) repos[`fixtures/${entry.name}`] = { dir: path.join(modelsDir, entry.name) };
  }
  return repos;
}

const CHUNK = 64 * 1024;

/** A running emulator: its base URL, the requests it has seen, and switchable faults. */
export class HubEmulator {
  /** Every request seen, in order (the Range header tells a size probe from a download). */
  readonly requests: { method: string; url: string; range?: string; authorized: boolean }[] = [];
  faults: HubFaults;
  private readonly scanned = new Map<string, EmulatedRepo>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly repos: Record<string, MountedRepo>,
    faults: HubFaults,
  ) {
    this.faults = faults;
  }

  /** Starts an emulator on 127.0.0.1 (a free port unless one is given). */
  static async start(options: HubEmulatorOptions = {}): Promise<HubEmulator> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const emulator = new HubEmulator(server, `http://127.0.0.1:${port}`, options.repos ?? fixtureRepos(), options.faults ?? {});
    server.on('request', (req, res) => {
      emulator.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'InternalError', String(err));
        else res.destroy();
      });
    });
    return emulator;
  }

  /** How many requests have arrived since start. */
  get requestCount(): number {
    return this.requests.length;
  }

  /** Stops listening and drops open connections. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private repo(owner: string, name: string): { mount: MountedRepo; repo: EmulatedRepo } | undefined {
    const id = `${owner}/${name}`;
    const key = Object.keys(this.repos).find((k) => k.toLowerCase() === id.toLowerCase());
    if (!key) return undefined;
    let repo = this.scanned.get(key);
    if (!repo) {
      repo = scanRepo(this.repos[key].dir);
      this.scanned.set(key, repo);
    }
    return { mount: this.repos[key], repo };
  }

  private sha256Of(file: EmulatedFile): string | undefined {
    if (!file.sha256) return undefined;
    return this.faults.lieAboutSha256 ? createHash('sha256').update(`not ${file.sha256}`).digest('hex') : file.sha256;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    this.requests.push({ method, url: req.url ?? '', range: req.headers.range, authorized: req.headers.authorization !== undefined });
    const url = new URL(req.url ?? '/', this.url);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'MethodNotAllowed', 'only GET and HEAD');

    const api = parts[0] === 'api' && parts[1] === 'models';
    const [owner, name, verb, revision, ...rest] = api ? parts.slice(2) : parts;
    if (!owner || !name || !verb || !revision) return sendError(res, 404, undefined, 'Not found');
    const found = this.repo(owner, name);
    if (!found) return sendError(res, 404, 'RepoNotFound', 'Repository not found');
    const { mount, repo } = found;
    if (mount.token !== undefined) {
      const auth = req.headers.authorization;
      if (!auth) return sendError(res, 401, 'GatedRepo', `Access to model ${owner}/${name} is restricted. You must be authenticated to access it.`);
      if (auth !== `Bearer ${mount.token}`) return sendError(res, 403, 'GatedRepo', `Access to model ${owner}/${name} is restricted.`);
    }
    if (revision !== 'main' && revision !== 'HEAD' && revision !== repo.commit) {
      return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    }

    if (api && verb === 'revision' && rest.length === 0) return this.sendInfo(res, `${owner}/${name}`, repo);
    if (api && verb === 'tree') return this.sendTree(res, repo, rest.join('/'), url.searchParams.get('recursive') === 'true');
    if (!api && verb === 'resolve') {
      const file = repo.files.get(rest.join('/'));
      if (!file) return sendError(res, 404, 'EntryNotFound', `${rest.join('/')} does not exist on "${revision}"`);
      return this.sendFile(req, res, repo, file, method === 'HEAD');
    }
    return sendError(res, 404, undefined, 'Not found');
  }

  private sendInfo(res: ServerResponse, id: string, repo: EmulatedRepo): void {
    sendJson(res, 200, {
      _id: createHash('sha1').update(id).digest('hex').slice(0, 24),
      id,
      modelId: id,
      sha: repo.commit,
      private: false,
      gated: false,
      disabled: false,
      downloads: 0,
      likes: 0,
      lastModified: new Date(0).toISOString(),
      tags: [],
      library_name: 'transformers',
      siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
    });
  }

  private sendTree(res: ServerResponse, repo: EmulatedRepo, under: string, recursive: boolean): void {
    const prefix = under ? `${under}/` : '';
    const inScope = (p: string): boolean => p.startsWith(prefix) && (recursive || !p.slice(prefix.length).includes('/'));
    const entries: object[] = directoriesOf(repo)
      .filter(inScope)
      .map((dir) => ({ type: 'directory', oid: createHash('sha1').update(dir).digest('hex'), size: 0, path: dir }));
    for (const file of repo.files.values()) {
      if (!inScope(file.path)) continue;
      const sha256 = this.sha256Of(file);
      if (sha256 === undefined) {
        entries.push({ type: 'file', oid: file.gitOid, size: file.size, path: file.path });
        continue;
      }
      // The Hub lists an LFS file by its pointer's blob id, with the content's sha256 under `lfs`.
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${file.size}\n`;
      const pointerOid = createHash('sha1').update(`blob ${Buffer.byteLength(pointer)}\0${pointer}`).digest('hex');
      entries.push({
        type: 'file',
        oid: pointerOid,
        size: file.size,
        path: file.path,
        lfs: { oid: sha256, size: file.size, pointerSize: Buffer.byteLength(pointer) },
      });
    }
    sendJson(res, 200, entries);
  }

  private async sendFile(req: IncomingMessage, res: ServerResponse, repo: EmulatedRepo, file: EmulatedFile, head: boolean): Promise<void> {
    const sha256 = this.sha256Of(file);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: `"${sha256 ?? file.gitOid}"`,
      'X-Repo-Commit': repo.commit,
    };
    if (sha256 !== undefined) {
      headers['X-Linked-Etag'] = `"${sha256}"`;
      headers['X-Linked-Size'] = file.size;
    }
    let start = 0;
    let end = file.size - 1;
    let status = 200;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (req.headers.range !== undefined) {
      if (!range || (range[1] === '' && range[2] === '')) return sendError(res, 416, undefined, 'Bad range');
      if (range[1] === '') start = Math.max(0, file.size - Number(range[2]));
      else {
        start = Number(range[1]);
        if (range[2] !== '') end = Math.min(end, Number(range[2]));
      }
      if (start > end || start >= file.size) {
        res.writeHead(416, { 'Content-Range': `bytes */${file.size}` }).end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
    }
    headers['Content-Length'] = end - start + 1;
    res.writeHead(status, headers);
    if (head) {
      res.end();
      return;
    }
    const body = readFileSync(file.absolute).subarray(start, end + 1);
    const { cutAfterBytes, chunkDelayMs } = this.faults;
    const cut = cutAfterBytes !== undefined && body.length > cutAfterBytes ? cutAfterBytes : undefined;
    for (let sent = 0; sent < body.length; sent += CHUNK) {
      const chunk = body.subarray(sent, Math.min(sent + CHUNK, cut ?? body.length));
      if (chunk.length > 0) await new Promise<void>((resolve, reject) => res.write(chunk, (err) => (err ? reject(err) : resolve())));
      if (cut !== undefined && sent + CHUNK >= cut) {
        res.destroy();
        return;
      }
      if (chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
    }
    res.end();
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

function sendError(res: ServerResponse, status: number, errorCode: string | undefined, message: string): void {
  if (errorCode) res.setHeader('X-Error-Code', errorCode);
  res.setHeader('X-Error-Message', message);
  sendJson(res, status, { error: message });
}

// Command line: `--port N` (default: a free port), `--models DIR`, `--lie-sha256`, `--cut-after N`.
async function main(argv: string[]): Promise<void> {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const emulator = await HubEmulator.start({
    port: value('--port') !== undefined ? Number(value('--port')) : undefined,
    repos: fixtureRepos(value('--models') ? path.resolve(value('--models')!) : MODELS_DIR),
    faults: {
      lieAboutSha256: argv.includes('--lie-sha256'),
      cutAfterBytes: value('--cut-after') !== undefined ? Number(value('--cut-after')) : undefined,
    },
  });
  process.stdout.write(`${emulator.url}\n`);
  const stop = (): void => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
