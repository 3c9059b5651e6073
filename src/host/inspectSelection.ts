// "Attention Lens: Inspect Selection": runs the engine on the selected text (or the cursor's line)
// and shows the result in the panel and the editor. The engine process starts on the first
// inspection, not at activation, so opening VS Code costs nothing.
import * as vscode from 'vscode';
import { EngineStopped, type InspectionResult } from '../engine/client';
import { toEngineError } from '../engine/errors';
import type { ModelSourceErrorCode } from '../models/errors';
import type { EngineErrorCode, ModelInfo, TextWindow, Timings } from '../protocol';
import type { EditorLens } from './editorLens';
import type { HostEngine } from './hostEngine';
import type { InspectTarget } from './followSelection';
import { prepareText } from './inputText';
import { Inspection } from './inspection';
import { log } from './log';
import { modelSource } from './modelSource';
import { trackEdits, type EditTracking } from './editTracking';
import { engineStopMessage } from './engineStopMessage';
import type { PanelPresenter } from './presenter';
import { layerMessage, loadStageMessage, ProgressMessages, showProgress } from './progress';
import { readEngineSettings, readSettings } from './settings';
import { positionsIn } from './textPositions';
import type { TrackedRange } from './trackedRange';

export const INSPECT_COMMAND = 'attentionLens.inspectSelection';

/** A token of an inspection, placed in its document. */
export interface PlacedToken {
  text: string;
  special: boolean;
  range: vscode.Range;
}

/** What the command did; returned to `executeCommand` callers (tests, other extensions). */
export type InspectionOutcome =
  | {
      kind: 'shown';
      id: number;
      uri: vscode.Uri;
      /** The range inspected: the selection, or less when the text was cut to maxTokens. */
      range: vscode.Range;
      /** Which window of the text ran; its tokens keep their offsets in the whole text. */
      window?: TextWindow;
      model: ModelInfo;
      provider: string;
      tokens: PlacedToken[];
      layers: number;
      heads: number;
      timings: Timings;
      /** How many tokens the whole text had, when it was cut to maxTokens. */
      truncatedFrom?: number;
      /** The notice shown to the user about this inspection (truncation, replaced characters). */
      notices: string[];
      /** True when the text was edited while the model ran: the panel shows it, the editor does not. */
      stale: boolean;
    }
  | { kind: 'cancelled' }
  | { kind: 'nothing-to-inspect'; message: string }
  | { kind: 'not-text'; message: string }
  | { kind: 'failed'; code: EngineErrorCode | ModelSourceErrorCode | 'no-model'; message: string };

// Failures that a setting fixes get a button that opens it.
const SETTING_FIXES = new Set<string>([
  'no-model', 'model-not-found', 'tokenizer-missing', 'tokenizer-invalid', 'onnx-missing', 'onnx-invalid',
  'fused-attention', 'no-attention', 'config-mismatch', 'provider-unavailable',
]);

/** Text found and a model located: what a run needs. */
interface Located {
  document: vscode.TextDocument;
  range: vscode.Range;
  /** The text as inspected (lone surrogates replaced, same length). */
  text: string;
  /** Notices about the input, shown once the run is done. */
  notices: string[];
  settings: ReturnType<typeof readSettings>;
  /** Which window of a text longer than the model's context to run (0-based). */
  window: number;
  /** Whether the user stepped here from another window (the text's windows were announced then). */
  stepped: boolean;
  folder: string;
  /** The model's name for messages. */
  label: string;
  cacheRoot: string;
}

export class SelectionInspector {
  private latest = 0;
  // The run the user may cancel, and whether they did (a superseded run is cancelled silently).
  private running: { id: number; cancelledByUser: boolean } | undefined;

  constructor(
    private readonly engine: HostEngine,
    private readonly lens: EditorLens,
    private readonly presenter: PanelPresenter,
  ) {}

  /** Inspects the primary selection of `editor`, or its cursor line when nothing is selected. */
  async run(editor = vscode.window.activeTextEditor): Promise<InspectionOutcome> {
    if (!editor) return this.nothing(vscode.l10n.t('Open a file and select some text to inspect its attention.'));
    const { document, selection } = editor;
    const range = selection.isEmpty ? document.lineAt(selection.active.line).range : selection;
    return this.inspect({ document, range });
  }

  /**
   * Inspects `range` of `document`: locates the text and the model, runs the engine, presents the
   * result. A newer call supersedes this one, whose results are then never shown. `model` replaces
   * the setting (a panel restored after a reload runs the model it showed).
   */
  async inspect(target: InspectTarget, options: InspectOptionsOfHost = {}): Promise<InspectionOutcome> {
    const located = await this.locate(target, options);
    if ('kind' in located) return located;
    const id = ++this.latest;
    this.running = { id, cancelledByUser: false };
    const tracking = trackEdits(located.document, located.range);
    try {
      const result = await this.runEngine(id, located, tracking.tracked);
      // The client rejects superseded runs; this also covers one superseded after its last message.
      if (id !== this.latest) return { kind: 'cancelled' };
      return this.present(id, located, result, tracking);
    } catch (err) {
      const e = toEngineError(err);
      if (e.code === 'cancelled') {
        const byUser = this.running?.id === id && this.running.cancelledByUser;
        log().debug(`inspect #${id}: ${byUser ? 'cancelled' : 'superseded by a newer inspection'}`);
        if (byUser) this.presenter.failed(vscode.l10n.t('The inspection was cancelled.'));
        return { kind: 'cancelled' };
      }
      if (id !== this.latest) return { kind: 'cancelled' };
      const message = e instanceof EngineStopped ? engineStopMessage(e.stop, e.restarted) : e.message;
      this.presenter.failed(message);
      return this.fail(e.code, message, e.detail);
    } finally {
      tracking.dispose();
      if (this.running?.id === id) this.running = undefined;
    }
  }

  // The text to inspect and the model folder; a Hub model is downloaded here, before the panel opens.
  private async locate({ document, range }: InspectTarget, options: InspectOptionsOfHost): Promise<Located | InspectionOutcome> {
    const prepared = prepareText(document.getText(range));
    if (prepared.kind === 'empty') {
      return this.nothing(vscode.l10n.t('There is no text to inspect: select some text, or put the cursor on a line that has some.'));
    }
    if (prepared.kind === 'binary') {
      const message = vscode.l10n.t('This text contains NUL characters, as binary files do. Attention Lens inspects text only.');
      log().info(message);
      void vscode.window.showWarningMessage(message);
      return { kind: 'not-text', message };
    }
    const settings = readSettings(document.uri);
    if (options.model) settings.model = options.model;
    // ModelSource shows its own failures.
    const models = modelSource();
    const located = await models.locate(settings.model, settings.precision);
    if (located.kind === 'cancelled') return { kind: 'cancelled' };
    if (located.kind === 'failed') return { kind: 'failed', code: located.code, message: located.message };
    const notices: string[] = [];
    if (prepared.loneSurrogates > 0) {
      notices.push(vscode.l10n.t('{0} broken characters (lone UTF-16 surrogates) were inspected as U+FFFD.', prepared.loneSurrogates));
    }
    return {
      document, range, text: prepared.text, notices, settings, window: options.window ?? 0, stepped: options.window !== undefined,
      folder: located.folder, label: located.label, cacheRoot: models.cacheRoot,
    };
  }

  // Runs the engine on the located text; the presenter streams the tokens and each layer to the panel.
  private runEngine(id: number, job: Located, tracked: TrackedRange): Promise<InspectionResult> {
    const { document, text, settings } = job;
    this.presenter.reveal();
    this.presenter.busy(vscode.l10n.t('Running {0} on {1} characters…', job.label, text.length));
    log().info(`inspect #${id}: ${text.length} characters of ${document.uri.toString(true)} with ${job.folder} (provider ${settings.provider})`);
    const loading = new ProgressMessages();
    let layers = 0;
    let window: TextWindow | undefined;
    const work = this.engine.client.inspect(
      {
        model: job.folder, text, provider: settings.provider, precision: settings.precision, maxTokens: settings.maxTokens,
        cacheDir: job.cacheRoot, window: job.window, inspection: id, memoryBudgetMB: readEngineSettings().memoryBudgetMB, onScreen: this.engine.onScreen,
      },
      {
        onProgress: (stage) => loading.report(loadStageMessage(stage)),
        onStarted: (s) => {
          const tried = s.attempts.map((a) => (a.ok ? a.provider : `${a.provider} (${a.reason ?? 'failed'})`));
          log().info(`inspect #${id}: ${s.model.id}, ${s.model.layers} layers × ${s.model.heads} heads, ${s.tokens.length} tokens on ${s.provider}; providers tried: ${tried.join(', ')}`);
          for (const w of s.warnings) log().warn(`inspect #${id}: ${w}`);
          layers = s.model.layers;
          window = s.window;
          this.presenter.begin({
            id, text, model: s.model, tokens: s.tokens, provider: s.provider, warnings: s.warnings, truncatedFrom: s.truncatedFrom,
            window: s.window, modelSetting: settings.model, source: { uri: document.uri.toString(), start: tracked.start },
          });
        },
        onLayer: (layer) => {
          loading.report(layerMessage(layer, layers, window));
          this.presenter.layer(id, layer);
        },
        onLog: (message) => log().info(`inspect #${id}: ${message}`),
      },
    );
    return showProgress(vscode.l10n.t('Attention Lens: running {0}', job.label), work, () => this.cancel(id), loading);
  }

  // Hands a finished run to the panel and the editor, and describes it to the caller.
  private present(id: number, job: Located, result: InspectionResult, { tracked, closed }: EditTracking): InspectionOutcome {
    const { document, range, text, notices } = job;
    const { started, timings } = result;
    log().info(`inspect #${id}: tokenize ${ms(timings.tokenizeMs)}, load ${ms(timings.loadMs)}, run ${ms(timings.runMs)}, total ${ms(timings.totalMs)}; ` +
      `the engine keeps its attention as ${result.store} (${(result.storeBytes / 2 ** 20).toFixed(1)} MB, ` +
      `${(result.storeMeanBytes / 2 ** 20).toFixed(1)} MB of it each layer's mean over heads)`);
    this.presenter.done(id, timings);

    // When the text was cut to maxTokens, only the tokens' text was inspected: the editor's range
    // ends where the last token does.
    const coveredEnd = started.truncatedFrom === undefined ? text.length : started.tokens.reduce((end, t) => Math.max(end, t.end), 0);
    if (started.truncatedFrom !== undefined) {
      tracked.truncate(tracked.start + coveredEnd);
      notices.push(vscode.l10n.t('The selection has {0} tokens; only the first {1} were inspected (setting "attentionLens.maxTokens").',
        started.truncatedFrom, started.tokens.length));
    }
    for (const notice of notices) {
      log().warn(`inspect #${id}: ${notice}`);
      void vscode.window.showWarningMessage(notice);
    }
    const window = started.window;
    if (window && window.count > 1) {
      log().info(`inspect #${id}: window ${window.index + 1} of ${window.count}, text tokens ${window.firstToken}–${window.endToken - 1} of ${window.textTokens}`);
      // Said when a text is first inspected: stepping to another window needs no reminder.
      if (!job.stepped) void vscode.window.showInformationMessage(windowsNotice(window, started.tokens.length));
    }

    const inspection = new Inspection(id, document, tracked, text, started, timings);
    inspection.modelSetting = job.settings.model;
    // A closed document can never be shown again as it was; the panel keeps the result.
    if (!closed) this.lens.attach(inspection);
    // Placed on the text as it was inspected: the outcome describes the run, not later edits.
    const toPosition = positionsIn(text, range.start);
    const place = (start: number, end: number) => {
      const a = toPosition(start);
      const b = toPosition(end);
      return new vscode.Range(a.line, a.character, b.line, b.character);
    };
    const tokens = started.tokens.map((t) => ({ text: t.text, special: t.special, range: place(t.start, t.end) }));
    return {
      kind: 'shown', id, uri: document.uri, range: place(0, coveredEnd), model: started.model,
      provider: started.provider, tokens, layers: started.model.layers, heads: started.model.heads, timings,
      truncatedFrom: started.truncatedFrom, window, notices, stale: tracked.stale || closed,
    };
  }

  /** Runs window `index` of the text the editor's inspection came from: the panel's window stepper. */
  async showWindow(index: number): Promise<InspectionOutcome> {
    const shown = this.lens.inspection;
    if (!shown?.started.window) return this.nothing(vscode.l10n.t('There is no inspection to show another window of.'));
    return this.inspect({ document: shown.document, range: shown.range() }, { model: shown.modelSetting, window: index });
  }

  /** Whether an inspection is running (the model is loading or running). */
  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Cancels the running inspection, as its progress notification's Cancel button does. */
  cancel(id = this.running?.id): void {
    const running = this.running;
    if (id === undefined || running?.id !== id) return;
    running.cancelledByUser = true;
    this.engine.client.cancel();
  }

  private nothing(message: string): InspectionOutcome {
    log().info(message);
    // Not awaited: the promise settles only when the notification is dismissed.
    void vscode.window.showInformationMessage(message);
    return { kind: 'nothing-to-inspect', message };
  }

  private fail(code: EngineErrorCode | 'no-model', message: string, detail?: string): InspectionOutcome {
    log().error(detail ? `${message}\n${detail}` : message);
    const openSettings = vscode.l10n.t('Open Settings');
    const showLog = vscode.l10n.t('Show Log');
    const actions = SETTING_FIXES.has(code) ? [openSettings, showLog] : [showLog];
    void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
      if (choice === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', 'attentionLens');
      else if (choice === showLog) log().show(true);
    });
    return { kind: 'failed', code, message };
  }
}

/** How the host runs an inspection besides its text: another model (a restored panel), another window. */
export interface InspectOptionsOfHost {
  model?: string;
  window?: number;
}

function windowsNotice(window: TextWindow, size: number): string {
  return vscode.l10n.t('The selection has {0} tokens, more than the model reads at once ({1}): it is inspected in {2} overlapping windows. Step through them in the panel.',
    window.textTokens, size, window.count);
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}
