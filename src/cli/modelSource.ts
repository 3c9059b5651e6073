// The CLI's side of model sources: its own cache folder, and download progress on stderr.
// What --model means is decided in models/modelReference, the same rule the editor uses.
import * as os from 'node:os';
import * as path from 'node:path';
import { formatBytes } from '../models/byteSize';
import type { PrecisionChoice } from '../protocol';
import { locateModel } from '../models/locateModel';
import { modelLabel, parseModelReference, type ModelReference } from '../models/modelReference';

/** `$XDG_CACHE_HOME/attention-lens`, else `%LOCALAPPDATA%\attention-lens` on Windows, else `~/.cache/attention-lens`. */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'attention-lens');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, 'attention-lens');
  return path.join(os.homedir(), '.cache', 'attention-lens');
}

export interface CliModelOptions {
  /** The CLI's own cache: records of its downloads, graphs built from checkpoints. */
  cacheRoot: string;
  /** The Hugging Face cache (--cache-dir); defaults to $HF_HUB_CACHE, $HF_HOME/hub, … */
  hubCacheDir?: string;
  /** The package's own models/ folder, where `npm run models` puts the default. */
  bundledDir: string;
  quiet: boolean;
  /** Which variant graph a Hub download fetches. */
  precision?: PrecisionChoice;
}

/** The folder `value` names, downloaded first when it is a Hub id not yet in the cache. */
export async function locateForCli(value: string, options: CliModelOptions): Promise<{ folder: string; reference: ModelReference }> {
  const reference = parseModelReference(value);
  const label = modelLabel(reference);
  const controller = new AbortController();
  // Ctrl+C during a download aborts it, so the unfinished folder is removed before exiting.
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  const progress = options.quiet ? undefined : stderrProgress(label);
  try {
    const folder = await locateModel(reference, {
      cacheRoot: options.cacheRoot,
      hubCacheDir: options.hubCacheDir,
      bundledDir: options.bundledDir,
      signal: controller.signal,
      onProgress: progress?.update,
      precision: options.precision,
    });
    progress?.finish(folder);
    return { folder, reference };
  } catch (err) {
    progress?.abandon();
    throw err;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

// A terminal gets one line redrawn in place; a log (CI, a pipe) gets one line per file.
function stderrProgress(label: string) {
  const tty = process.stderr.isTTY === true;
  let started = false;
  let lastFile = '';
  let lastLine = '';
  return {
    update(done: number, total: number, file: string): void {
      if (!started) {
        started = true;
        process.stderr.write(`Downloading ${label} (${formatBytes(total)})\n`);
      }
      const line = `  ${file}: ${formatBytes(done)} of ${formatBytes(total)}`;
      if (tty) {
        if (line !== lastLine) process.stderr.write(`\r\x1b[K${line}`);
        lastLine = line;
      } else if (file !== lastFile) {
        process.stderr.write(`${line}\n`);
      }
      lastFile = file;
    },
    finish(folder: string): void {
      if (!started) return;
      if (tty) process.stderr.write('\n');
      process.stderr.write(`Saved to ${folder}\n`);
    },
    abandon(): void {
      if (started && tty) process.stderr.write('\n');
    },
  };
}
