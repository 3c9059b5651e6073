// Starts code-server (VS Code 1.100.3 for the browser) for one test run: a free port on 127.0.0.1,
// no auth, a fresh profile, its own HOME/TMPDIR/XDG dirs, and its own process group so that stop()
// ends it and every extension host it forked. Logs are kept when the run fails.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { installLanguagePack, type LanguagePack } from './languagePack';
import { codeServerEntry, resultsRoot, runsRoot } from './paths';
import { waitFor } from './wait';

export interface CodeServerOptions {
  /** Names the run: its scratch folder under .cache/runs and its logs under test-results. */
  name: string;
  /** Extra environment for the server and the extension hosts it starts. */
  env?: Record<string, string>;
  /** Written to the profile's User/settings.json before start. */
  settings?: Record<string, unknown>;
  /** Extensions folder to serve (e.g. one a VSIX was installed into); else an empty one in the run folder. */
  extensionsDir?: string;
  /** Display language: this language pack is installed into the extensions folder and the server started with `--locale`. */
  languagePack?: LanguagePack;
}

export interface WorkbenchOptions {
  folder?: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
}

// Process-group ids of servers still running, for the exit and signal handlers.
const running = new Set<number>();

export class CodeServer {
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly runDir: string,
    private readonly tmpDir: string,
    /** Where this run's logs go; kept after a failure. */
    readonly logDir: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    if (child.pid !== undefined) running.add(child.pid);
  }

  /** Starts code-server and resolves once it answers health checks. */
  static async start(options: CodeServerOptions): Promise<CodeServer> {
    if (!fs.existsSync(codeServerEntry)) {
      throw new Error(`code-server is not installed at ${codeServerEntry}. Run test/harness/install-code-server.sh first.`);
    }
    removeAbandonedRuns();
    const runDir = path.join(runsRoot, `${options.name}-${process.pid}`);
    const logDir = path.join(resultsRoot, options.name, 'logs');
    fs.rmSync(logDir, { recursive: true, force: true });

    // Ports are picked free, then bound by code-server; a lost race shows as EADDRINUSE and is retried
    // with a fresh profile.
    for (let attempt = 1; ; attempt++) {
      const tmpDir = prepare(runDir, logDir, options.settings ?? {});
      if (options.languagePack) {
        await installLanguagePack(options.languagePack, options.extensionsDir ?? path.join(runDir, 'extensions'), path.join(runDir, 'data'));
      }
      const port = await freePort();
      const server = launch(options, runDir, tmpDir, logDir, port);
      try {
        await server.ready();
        return server;
      } catch (err) {
        await server.stop({ keepLogs: true });
        const log = readTail(path.join(logDir, 'code-server.log'));
        if (attempt < 3 && /EADDRINUSE/.test(log)) continue;
        throw new Error(`${err instanceof Error ? err.message : err}\n--- code-server log (${logDir}) ---\n${log}`);
      }
    }

    /** A fresh profile folder; returns the TMPDIR, outside it since socket paths must stay under 108 bytes. */
    function prepare(dir: string, logs: string, settings: Record<string, unknown>): string {
      fs.rmSync(dir, { recursive: true, force: true });
      for (const sub of ['home', 'config', 'data/User', 'extensions', 'xdg-data', 'xdg-cache', logs]) {
        fs.mkdirSync(path.resolve(dir, sub), { recursive: true });
      }
      fs.writeFileSync(path.join(dir, 'config.yaml'), 'auth: none\n');
      fs.writeFileSync(path.join(dir, 'data/User/settings.json'), JSON.stringify(settings, null, 2));
      return fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-code-server-'));
    }

    function launch(opts: CodeServerOptions, dir: string, tmp: string, logs: string, port: number): CodeServer {
      const out = fs.openSync(path.join(logs, 'code-server.log'), 'a');
      const env: NodeJS.ProcessEnv = { ...process.env };
      // Variables from an enclosing VS Code (integrated terminal) would make the server talk to it.
      for (const key of Object.keys(env)) if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') delete env[key];
      Object.assign(env, {
        HOME: path.join(dir, 'home'),
        TMPDIR: tmp,
        XDG_CONFIG_HOME: path.join(dir, 'config'),
        XDG_DATA_HOME: path.join(dir, 'xdg-data'),
        XDG_CACHE_HOME: path.join(dir, 'xdg-cache'),
        // Hub downloads go to this run's own Hugging Face cache, whatever the caller's shell names.
        HF_HUB_CACHE: path.join(dir, 'xdg-cache', 'huggingface', 'hub'),
        ...opts.env,
      });
      const args = [
        codeServerEntry,
        '--bind-addr', `127.0.0.1:${port}`,
        '--auth', 'none',
        '--config', path.join(dir, 'config.yaml'),
        '--user-data-dir', path.join(dir, 'data'),
        '--extensions-dir', opts.extensionsDir ?? path.join(dir, 'extensions'),
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--disable-proxy',
        '--ignore-last-opened',
        ...(opts.languagePack ? ['--locale', opts.languagePack.languageId] : []),
      ];
      // detached: the server leads a new session and process group (setsid), so one signal to the
      // group reaches the extension hosts and language servers it forks.
      const child = spawn(process.execPath, args, { cwd: dir, env, detached: true, stdio: ['ignore', out, out] });
      fs.closeSync(out);
      return new CodeServer(child, port, dir, tmp, logs);
    }
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A `vscode-remote:` URI for a path on this machine, as the web workbench expects in its payload. */
  remoteUri(fsPath: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${path.resolve(fsPath).split(path.sep).map(encodeURIComponent).join('/')}`;
  }

  /** The workbench URL: a folder to open, and the extension (and tests) to load in development mode. */
  workbenchUrl(options: WorkbenchOptions): string {
    const url = new URL(this.origin + '/');
    if (options.folder) url.searchParams.set('folder', path.resolve(options.folder));
    const payload: [string, string][] = [];
    if (options.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', this.remoteUri(options.extensionDevelopmentPath)]);
    if (options.extensionTestsPath) payload.push(['extensionTestsPath', this.remoteUri(options.extensionTestsPath)]);
    if (payload.length) url.searchParams.set('payload', JSON.stringify(payload));
    return url.toString();
  }

  /** Stops the whole process group: TERM, then KILL for whatever is left after a grace period. */
  async stop({ keepLogs }: { keepLogs: boolean }): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined) {
      signalGroup(pid, 'SIGTERM');
      const gone = await waitFor('code-server to exit', () => !groupAlive(pid), { timeoutMs: 5_000 }).catch(() => false);
      if (!gone) signalGroup(pid, 'SIGKILL');
      await waitFor('code-server process group to end', () => !groupAlive(pid), { timeoutMs: 5_000 }).catch(() => undefined);
      running.delete(pid);
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1_000))]);
    if (keepLogs || process.env.ATTENTION_LENS_KEEP_LOGS) {
      // VS Code's own logs (extension host, renderer, server) live in the profile; keep a copy.
      const vscodeLogs = path.join(this.runDir, 'data', 'logs');
      if (fs.existsSync(vscodeLogs)) fs.cpSync(vscodeLogs, path.join(this.logDir, 'vscode'), { recursive: true });
    } else {
      fs.rmSync(this.logDir, { recursive: true, force: true });
    }
    fs.rmSync(this.runDir, { recursive: true, force: true, maxRetries: 3 });
    fs.rmSync(this.tmpDir, { recursive: true, force: true, maxRetries: 3 });
  }

  private async ready(): Promise<void> {
    let exitCode: number | null = null;
    this.child.once('exit', (code) => (exitCode = code ?? -1));
    await waitFor(`code-server on port ${this.port}`, async () => {
      if (exitCode !== null) throw new Error(`code-server exited with code ${exitCode} before it was ready`);
      const response = await fetch(`${this.origin}/healthz`);
      return response.ok;
    }, { timeoutMs: 60_000, intervalMs: 200 }).catch((err: Error) => {
      // An early exit is final: report it instead of the generic timeout.
      if (exitCode !== null) throw new Error(`code-server exited with code ${exitCode} before it was ready`);
      throw err;
    });
  }
}

/** Stops every server still running; for exit and signal handlers. */
export function stopAllSync(): void {
  for (const pid of running) signalGroup(pid, 'SIGKILL');
  running.clear();
}

process.once('exit', stopAllSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    stopAllSync();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function readTail(file: string, bytes = 4_000): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '(no log)';
  }
}

/** Deletes scratch folders of runs whose harness process is gone (killed before it could clean up). */
function removeAbandonedRuns(): void {
  if (!fs.existsSync(runsRoot)) return;
  for (const name of fs.readdirSync(runsRoot)) {
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) fs.rmSync(path.join(runsRoot, name), { recursive: true, force: true });
  }
}
