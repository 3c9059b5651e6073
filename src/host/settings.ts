// The one typed view of the `attentionLens.*` settings; nothing else reads the configuration.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PROVIDERS, type Provider } from '../protocol';

export const SETTINGS_SECTION = 'attentionLens';

/**
 * Fallback for `attentionLens.model` when the setting is empty. Tests and the CLI-minded set it so a
 * fresh profile has a model without writing user settings.
 */
export const MODEL_ENV = 'ATTENTION_LENS_MODEL';

export interface Settings {
  /** Absolute model folder, or undefined when neither the setting nor the environment names one. */
  model: string | undefined;
  provider: Provider;
  maxTokens: number;
}

/** Reads the settings now; call again after a configuration change instead of caching. */
export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  const provider = config.get<string>('provider', 'auto');
  const maxTokens = config.get<number>('maxTokens', 512);
  return {
    model: resolveModelFolder(config.get<string>('model', '').trim() || process.env[MODEL_ENV]?.trim() || ''),
    provider: (PROVIDERS as readonly string[]).includes(provider) ? (provider as Provider) : 'auto',
    maxTokens: Number.isFinite(maxTokens) && maxTokens >= 2 ? Math.floor(maxTokens) : 512,
  };
}

// People write `~/models/x` or a path relative to the workspace; the worker needs an absolute path.
function resolveModelFolder(value: string): string | undefined {
  if (!value) return undefined;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  let expanded = value.replace(/^~(?=$|[\\/])/, os.homedir());
  if (folder?.scheme === 'file') expanded = expanded.replace(/\$\{workspaceFolder\}/g, folder.fsPath);
  if (path.isAbsolute(expanded)) return path.normalize(expanded);
  return folder?.scheme === 'file' ? path.resolve(folder.fsPath, expanded) : path.resolve(expanded);
}
