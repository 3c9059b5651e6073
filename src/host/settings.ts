// The one typed view of the `attentionLens.*` settings; nothing else reads the configuration.
import * as vscode from 'vscode';
import { PRECISION_CHOICES, PROVIDERS, type PrecisionChoice, type Provider } from '../protocol';

export const SETTINGS_SECTION = 'attentionLens';

/**
 * Fallback for `attentionLens.model` when the setting is empty. Tests and the CLI-minded set it so a
 * fresh profile has a model without writing user settings.
 */
export const MODEL_ENV = 'ATTENTION_LENS_MODEL';

export interface Settings {
  /**
   * The model as written: a folder, a Hugging Face id, or '' for the bundled default (the setting,
   * else ATTENTION_LENS_MODEL). host/modelSource turns it into a folder.
   */
  model: string;
  provider: Provider;
  /** Which variant graph of a folder or Hub repo to load (fp32, fp16, 8- or 4-bit). */
  precision: PrecisionChoice;
  /** Tokens per window, specials included; 0 for the model's context within the provider's cap (src/engine/context.ts). */
  maxTokens: number;
  /** Whether hovering an inspected token shows its card and paints what it attends to. */
  hoverEnabled: boolean;
  /** Whether edits inside an inspected range, and new selections, re-run the inspection. */
  followSelection: boolean;
}

/** When the host ends the engine process (attentionLens.engine.*), in the units the settings use. */
export interface EngineSettings {
  /** Seconds an inspection may go without progress from the engine. */
  timeoutSeconds: number;
  /** The engine's memory limit in MB; 0 for three quarters of the machine's memory. */
  memoryLimitMB: number;
  /** Minutes without an inspection after which the engine exits. */
  idleMinutes: number;
  /** The engine's attention store budget in MB; 0 for a quarter of the machine's memory, at most 4096. */
  memoryBudgetMB: number;
}

/** Reads the engine's limits (window-wide settings: there is one engine). */
export function readEngineSettings(): EngineSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const number = (key: string, fallback: number, min: number): number => {
    const value = config.get<number>(key, fallback);
    return typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback;
  };
  return {
    timeoutSeconds: number('engine.timeoutSeconds', 300, 1),
    memoryLimitMB: number('engine.memoryLimitMB', 0, 0),
    idleMinutes: number('engine.idleMinutes', 10, 0.1),
    memoryBudgetMB: number('engine.memoryBudgetMB', 0, 0),
  };
}

/** The settings the editor reads on every cursor move and hover: no path resolution. */
export type EditorSettings = Pick<Settings, 'hoverEnabled' | 'followSelection'>;

/** Reads the settings now; call again after a configuration change instead of caching. */
export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  const provider = config.get<string>('provider', 'auto');
  const maxTokens = config.get<number>('maxTokens', 0);
  const precision = config.get<string>('precision', 'auto');
  return {
    model: config.get<string>('model', '').trim() || process.env[MODEL_ENV]?.trim() || '',
    provider: (PROVIDERS as readonly string[]).includes(provider) ? (provider as Provider) : 'auto',
    precision: (PRECISION_CHOICES as readonly string[]).includes(precision) ? (precision as PrecisionChoice) : 'auto',
    maxTokens: Number.isFinite(maxTokens) && maxTokens > 0 ? Math.max(2, Math.floor(maxTokens)) : 0,
    ...editorSettingsOf(config),
  };
}

/** Reads only the editor-side switches; cheap enough for every selection change. */
export function readEditorSettings(scope?: vscode.ConfigurationScope): EditorSettings {
  return editorSettingsOf(vscode.workspace.getConfiguration(SETTINGS_SECTION, scope));
}

function editorSettingsOf(config: vscode.WorkspaceConfiguration): EditorSettings {
  return {
    hoverEnabled: config.get<boolean>('hover.enabled', true) !== false,
    followSelection: config.get<boolean>('followSelection', false) === true,
  };
}


/** How Continue Selection writes (attentionLens.generate.*). */
export interface GenerateSettings {
  maxNewTokens: number;
  /** 0: greedy. */
  temperature: number;
  topP: number;
  /** 0: a fresh seed each time. */
  seed: number;
}

/** Reads the generation settings now. */
export function readGenerateSettings(scope?: vscode.ConfigurationScope): GenerateSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  const number = (key: string, fallback: number, ok: (x: number) => boolean): number => {
    const value = config.get<number>(key, fallback);
    return typeof value === 'number' && Number.isFinite(value) && ok(value) ? value : fallback;
  };
  return {
    maxNewTokens: Math.floor(number('generate.maxNewTokens', 32, (x) => x >= 1 && x <= 1024)),
    temperature: number('generate.temperature', 0, (x) => x >= 0),
    topP: number('generate.topP', 1, (x) => x > 0 && x <= 1),
    seed: Math.floor(number('generate.seed', 0, (x) => x >= 0 && x < 2 ** 32)),
  };
}
