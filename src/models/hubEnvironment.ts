// Where the Hugging Face cache is and whether the network may be used, read from the same
// environment variables as huggingface_hub (Python), so both agree on one cache. Kept free of the
// Hub client so that the extension can name the folder at activation.
import * as os from 'node:os';
import * as path from 'node:path';

/** `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`. */
export function defaultHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const expand = (p: string): string => path.resolve(p.replace(/^~(?=$|[\\/])/, os.homedir()));
  const hubCache = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (hubCache) return expand(hubCache);
  if (env.HF_HOME) return path.join(expand(env.HF_HOME), 'hub');
  return path.join(env.XDG_CACHE_HOME ? expand(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'huggingface', 'hub');
}

/** Whether HF_HUB_OFFLINE forbids network access, with the values huggingface_hub accepts. */
export function hubOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((env.HF_HUB_OFFLINE ?? '').trim().toUpperCase());
}
