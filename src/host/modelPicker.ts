// "Attention Lens: Select Model": one list of every way to name a model (the bundled default, the
// ones chosen lately, the catalogue's suggestions, a Hugging Face id typed in, a folder on disk).
// The choice is written to the `attentionLens.model` user setting, so it is what a person would
// have typed there by hand, and it applies to every window.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../models/byteSize';
import { catalogEntries, defaultCatalogEntry } from '../models/catalog';
import { parseHubId } from '../models/hubId';
import { hasBundledModel, modelLabel } from '../models/modelReference';
import { hubEndpoint, type ModelSource } from './modelSource';
import type { RecentModels } from './recentModels';
import { readSettings, SETTINGS_SECTION } from './settings';

export type PickerEntryKind = 'default' | 'recent' | 'suggested' | 'enter-id' | 'open-folder';

/** A row of the picker, as tests and other extensions see it. */
export interface PickerEntry {
  kind: PickerEntryKind;
  label: string;
  description?: string;
  /** The setting value the row writes; absent for rows that ask for one. */
  value?: string;
  current?: boolean;
}

/** What the command did; returned to `executeCommand` callers. */
export type ModelChoice = { kind: 'chosen'; value: string } | { kind: 'dismissed' };

/** The picker's rows, and whether it is on screen now (then they are the rows shown). */
export interface PickerRows {
  open: boolean;
  entries: PickerEntry[];
  /** While open: the index in `entries` of the row the workbench reports active (undefined until it reports one). */
  active?: number;
}

interface PickerItem extends vscode.QuickPickItem {
  entry?: PickerEntry;
}

export class ModelPicker {
  private showing: PickerEntry[] | undefined;
  private active: PickerEntry | undefined;

  constructor(
    private readonly models: ModelSource,
    private readonly recent: RecentModels,
  ) {}

  /** The selectable rows, top to bottom: of the picker on screen, else of the one that would open. */
  async rows(): Promise<PickerRows> {
    if (this.showing) {
      const active = this.active ? this.showing.indexOf(this.active) : -1;
      return { open: true, entries: this.showing, active: active >= 0 ? active : undefined };
    }
    return { open: false, entries: entriesOf(await this.items()) };
  }

  /** Shows the picker, then the id box or the folder dialog it leads to, and writes the setting. */
  async run(): Promise<ModelChoice> {
    const items = await this.items();
    const quickPick = vscode.window.createQuickPick<PickerItem>();
    quickPick.title = vscode.l10n.t('Attention Lens: Select Model');
    quickPick.placeholder = vscode.l10n.t('Choose the model to inspect with, or type to filter');
    quickPick.matchOnDescription = true;
    quickPick.items = items;
    const current = items.find((item) => item.entry?.current);
    if (current) quickPick.activeItems = [current];
    const picked = await new Promise<PickerEntry | undefined>((resolve) => {
      quickPick.onDidAccept(() => {
        resolve(quickPick.activeItems[0]?.entry);
        quickPick.hide();
      });
      quickPick.onDidHide(() => resolve(undefined));
      quickPick.onDidChangeActive((active) => (this.active = active[0]?.entry));
      quickPick.show();
      this.showing = entriesOf(items);
    });
    this.showing = undefined;
    this.active = undefined;
    quickPick.dispose();
    if (!picked) return { kind: 'dismissed' };

    const value = picked.kind === 'enter-id' ? await this.askForHubId()
      : picked.kind === 'open-folder' ? await this.askForFolder()
        : picked.value;
    if (value === undefined) return { kind: 'dismissed' };
    await this.write(value);
    return { kind: 'chosen', value };
  }

  private async items(): Promise<PickerItem[]> {
    const currentValue = readSettings().model.trim();
    // Loaded here rather than at activation: the cache listing comes with the Hub client.
    const { listCachedModels } = await import('../models/download');
    const downloaded = new Set((await listCachedModels({ cacheDir: this.models.hubCacheDir })).map((m) => m.repo.toLowerCase()));
    const isDownloaded = (repo: string): boolean => downloaded.has(repo.toLowerCase());
    const entry = (e: PickerEntry, icon: string, detail?: string): PickerItem => ({
      label: `$(${icon}) ${e.label}`,
      description: e.current ? [vscode.l10n.t('current'), e.description].filter(Boolean).join(' · ') : e.description,
      detail,
      entry: e,
    });
    const separator = (label: string): PickerItem => ({ label, kind: vscode.QuickPickItemKind.Separator });

    const fallback = defaultCatalogEntry();
    const bundled = hasBundledModel(this.models.bundledDir);
    const items: PickerItem[] = [entry(
      {
        kind: 'default', label: vscode.l10n.t('Default model'), value: '', current: currentValue === '',
        description: `${fallback.hubId} · ${vscode.l10n.t('{0} layers × {1} heads', fallback.layers, fallback.heads)}`,
      },
      'package',
      bundled ? vscode.l10n.t('Bundled with the extension')
        : isDownloaded(fallback.hubId) ? vscode.l10n.t('Downloaded')
          : vscode.l10n.t('Downloaded on first use (about {0})', formatBytes(fallback.approxDownloadMB * 1e6)),
    )];

    const recent = this.recent.list();
    if (recent.length > 0) {
      items.push(separator(vscode.l10n.t('Recently used')));
      for (const value of recent) {
        const reference = this.models.reference(value);
        const isFolder = reference.kind === 'folder';
        items.push(entry(
          { kind: 'recent', label: modelLabel(reference), description: isFolder ? reference.path : undefined, value, current: value === currentValue },
          isFolder ? 'folder' : 'cloud',
        ));
      }
    }

    const shown = new Set(recent.map((v) => v.toLowerCase()));
    const suggestions = catalogEntries().filter((e) => e.key !== fallback.key && !shown.has(e.hubId.toLowerCase()));
    if (suggestions.length > 0) {
      items.push(separator(vscode.l10n.t('Suggested')));
      for (const s of suggestions) {
        const size = isDownloaded(s.hubId)
          ? vscode.l10n.t('downloaded')
          : vscode.l10n.t('{0}, about {1}', s.variant, formatBytes(s.approxDownloadMB * 1e6));
        items.push(entry(
          {
            kind: 'suggested', label: s.hubId, value: s.hubId, current: s.hubId === currentValue,
            description: `${vscode.l10n.t('{0} layers × {1} heads', s.layers, s.heads)} · ${s.family} · ${size}`,
          },
          'cloud',
        ));
      }
    }

    items.push(separator(vscode.l10n.t('Other')));
    items.push(entry({ kind: 'enter-id', label: vscode.l10n.t('Enter a Hugging Face id…') }, 'edit'));
    items.push(entry({ kind: 'open-folder', label: vscode.l10n.t('Open a model folder…') }, 'folder-opened'));
    return items;
  }

  private async askForHubId(): Promise<string | undefined> {
    const example = defaultCatalogEntry().hubId;
    const text = await vscode.window.showInputBox({
      title: vscode.l10n.t('Hugging Face Model'),
      prompt: vscode.l10n.t('A model id on {0}: owner/name, or owner/name@revision for a branch, tag or commit.', hubEndpoint()),
      placeHolder: example,
      ignoreFocusOut: true,
      validateInput: (value) => {
        // No complaint before anything is typed.
        if (value.trim() === '') return undefined;
        try {
          parseHubId(value);
          return undefined;
        } catch {
          return vscode.l10n.t('Write it as owner/name or owner/name@revision, for example {0}.', example);
        }
      },
    });
    return text?.trim() || undefined;
  }

  private async askForFolder(): Promise<string | undefined> {
    const picked = await vscode.window.showOpenDialog({
      title: vscode.l10n.t('Open a Model Folder'),
      openLabel: vscode.l10n.t('Use This Model'),
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
    });
    const folder = picked?.[0]?.fsPath;
    if (!folder) return undefined;
    if (!existsSync(path.join(folder, 'config.json'))) {
      void vscode.window.showWarningMessage(vscode.l10n.t(
        '{0} has no config.json, so it is not a model folder in Hugging Face layout (config.json, tokenizer.json, and an ONNX graph or safetensors weights).', folder));
      return undefined;
    }
    return folder;
  }

  private async write(value: string): Promise<void> {
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    // An empty setting means the default; removing the key keeps settings.json tidy.
    await config.update('model', value === '' ? undefined : value, vscode.ConfigurationTarget.Global);
    await this.recent.remember(value);
    const shadowed = config.inspect<string>('model');
    if (shadowed?.workspaceFolderValue !== undefined || shadowed?.workspaceValue !== undefined) {
      const open = vscode.l10n.t('Open Workspace Settings');
      // Not awaited: the command is done; the notification stays until dismissed.
      void vscode.window.showWarningMessage(
        vscode.l10n.t('This workspace sets attentionLens.model itself, which overrides the model chosen here.'), open,
      ).then((choice) => {
        if (choice === open) void vscode.commands.executeCommand('workbench.action.openWorkspaceSettings', `${SETTINGS_SECTION}.model`);
      });
    }
  }
}

function entriesOf(items: PickerItem[]): PickerEntry[] {
  return items.flatMap((item) => (item.entry ? [item.entry] : []));
}
