// "Attention Lens: Continue Selection": the model writes after the selected text, a token at a time.
// Each token shows at once as ghost text after the selection and joins the panel's token strip,
// marked as written; its attention row is already in the engine's store, so hovering it in the panel
// paints what it looked at on the selection. "Insert Generated Text" makes the continuation an edit.
import * as vscode from 'vscode';
import { toEngineError } from '../engine/errors';
import type { GenerationStop, InspectionStarted, PanelInspection, Token } from '../protocol';
import type { EditorLens } from './editorLens';
import { engineStopMessage } from './engineStopMessage';
import { EngineStopped } from '../engine/client';
import { GhostText } from './ghostText';
import type { HostEngine } from './hostEngine';
import { prepareText } from './inputText';
import { Inspection } from './inspection';
import { log } from './log';
import { modelSource } from './modelSource';
import type { PanelPresenter } from './presenter';
import { loadStageMessage, ProgressMessages, showProgress } from './progress';
import { readEngineSettings, readGenerateSettings, readSettings } from './settings';
import { TrackedRange } from './trackedRange';
import { trackEdits, type EditTracking } from './editTracking';

export const CONTINUE_COMMAND = 'attentionLens.continueSelection';
export const INSERT_GENERATED_COMMAND = 'attentionLens.insertGenerated';

// Continuations are numbered apart from inspections (which count up from 1), so that the engine's
// store and the presenter never mistake one for the other.
const FIRST_ID = 2 ** 30;

/** One written token as the command saw it arrive. */
export interface WrittenToken {
  text: string;
  /** What it added to the continuation. */
  added: string;
  p: number;
  /** Milliseconds after the command started that it arrived. */
  atMs: number;
  /** Milliseconds after the command started that the engine wrote it (several may arrive together). */
  writtenMs: number;
}

/** What the command did; returned to `executeCommand` callers (tests, other extensions). */
export type ContinuationOutcome =
  | { kind: 'written'; id: number; continuation: string; steps: WrittenToken[]; stopped: GenerationStop | 'cancelled'; seed?: number }
  | { kind: 'nothing'; message: string }
  | { kind: 'failed'; code: string; message: string };

export class SelectionContinuer implements vscode.Disposable {
  private latest = FIRST_ID;
  private readonly ghost = new GhostText();
  // The continuation shown, for Insert Generated Text.
  private written: { document: vscode.TextDocument; tracking: EditTracking; text: string } | undefined;
  private readonly watching: vscode.Disposable[];

  constructor(
    private readonly engine: HostEngine,
    private readonly lens: EditorLens,
    private readonly presenter: PanelPresenter,
  ) {
    this.watching = [
      vscode.window.onDidChangeVisibleTextEditors(() => this.ghost.paint()),
      // An edit inside the continued text leaves the continuation without its start: it goes.
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.written && e.document === this.written.document && this.written.tracking.tracked.stale) this.forget();
      }),
    ];
  }

  /** Fires with the continuation each time the ghost text shows a longer one. */
  get onGhostText(): vscode.Event<string> {
    return this.ghost.onDidShow;
  }

  /** The continuation shown after the selection now, if any. */
  get ghostText(): { uri: vscode.Uri; offset: number; text: string } | undefined {
    const current = this.ghost.current;
    return current && { uri: current.document.uri, offset: current.offset, text: current.text };
  }

  /** Continues the primary selection of `editor` (or its cursor line). */
  async run(editor = vscode.window.activeTextEditor): Promise<ContinuationOutcome> {
    if (!editor) return this.nothing(vscode.l10n.t('Open a file and select some text for the model to continue.'));
    const { document, selection } = editor;
    const range = selection.isEmpty ? document.lineAt(selection.active.line).range : selection;
    const prepared = prepareText(document.getText(range));
    if (prepared.kind !== 'text') return this.nothing(vscode.l10n.t('There is no text to continue: select some text, or put the cursor on a line that has some.'));
    const settings = readSettings(document.uri);
    const located = await modelSource().locate(settings.model, settings.precision);
    if (located.kind === 'cancelled') return { kind: 'nothing', message: 'cancelled' };
    if (located.kind === 'failed') return { kind: 'failed', code: located.code, message: located.message };
    const generate = readGenerateSettings(document.uri);
    const id = ++this.latest;
    const text = prepared.text;
    this.forget();
    const tracking = trackEdits(document, range);
    const t0 = performance.now();
    const steps: WrittenToken[] = [];
    let tokens: Token[] = [];
    let started: InspectionStarted | undefined;
    const run: PanelInspection['generated'] = { from: 0, steps: [], writing: true };
    // The panel and the editor show the sequence so far: the prompt's tokens and the written ones.
    const show = (): void => {
      if (!started) return;
      const shown: InspectionStarted = { ...started, tokens };
      this.presenter.begin({
        id, text: text + steps.map((s) => s.added).join(''), model: started.model, tokens, provider: started.provider,
        warnings: started.warnings, modelSetting: settings.model, generated: { ...run, steps: [...run.steps] },
        source: { uri: document.uri.toString(), start: tracking.tracked.start },
      });
      for (let layer = 0; layer < started.model.layers; layer++) this.presenter.layer(id, layer);
      this.presenter.done(id, { tokenizeMs: 0, loadMs: 0, runMs: 0, totalMs: performance.now() - t0 });
      // The lens tracks edits itself from now on, in its own copy of the range.
      const placed = new TrackedRange(tracking.tracked.start, tracking.tracked.end);
      if (tracking.tracked.stale) placed.markStale();
      const inspection = new Inspection(id, document, placed, text, shown, { tokenizeMs: 0, loadMs: 0, runMs: 0, totalMs: 0 });
      inspection.modelSetting = settings.model;
      inspection.generated = { from: run.from, steps: [...run.steps] };
      if (!tracking.closed) this.lens.attach(inspection);
    };
    // While the model writes, the panel shows the longer sequence once the engine has answered what
    // the page asked for the last time: the page's view requests never pile up on the engine the model
    // runs in (a 0.5B model's thumbnails take longer than its tokens), and tokens that come meanwhile
    // join the next showing. The ghost text follows every token regardless.
    let showing = false;
    const showSoon = (): void => {
      if (showing) return;
      showing = true;
      void this.presenter.viewsSettled().then(() => {
        showing = false;
        if (run.writing) show();
      });
    };
    this.presenter.reveal();
    this.presenter.busy(vscode.l10n.t('{0} is continuing {1} characters…', located.label, text.length));
    log().info(`continue #${id}: ${text.length} characters of ${document.uri.toString(true)} with ${located.folder}, ` +
      `at most ${generate.maxNewTokens} tokens, ${generate.temperature > 0 ? `temperature ${generate.temperature}, top-p ${generate.topP}` : 'greedy'}`);
    const messages = new ProgressMessages();
    const work = this.engine.client.generate({
      model: located.folder, text, provider: settings.provider, precision: settings.precision, cacheDir: modelSource().cacheRoot,
      maxNewTokens: generate.maxNewTokens, inspection: id, memoryBudgetMB: readEngineSettings().memoryBudgetMB, onScreen: this.engine.onScreen,
      ...(generate.temperature > 0 ? { temperature: generate.temperature, topP: generate.topP, seed: generate.seed || undefined } : {}),
    }, {
      onProgress: (stage) => messages.report(loadStageMessage(stage)),
      onStarted: (s) => {
        started = s;
        tokens = s.tokens;
        run.from = s.tokens.length;
        show();
      },
      onSteps: (written) => {
        const atMs = performance.now() - t0;
        for (const step of written) {
          steps.push({ text: step.text, added: step.added, p: step.p, atMs, writtenMs: step.writtenAt - performance.timeOrigin - t0 });
          run.steps.push({ p: step.p, topk: step.topk });
        }
        tokens = [...tokens, ...written.map((step) => ({ id: step.id, text: step.text, start: step.start, end: step.end, special: step.special }))];
        messages.report(vscode.l10n.t('{0} of at most {1} tokens written', steps.length, generate.maxNewTokens));
        this.showWritten(document, tracking, steps);
        showSoon();
      },
      onLog: (message) => log().info(`continue #${id}: ${message}`),
    });
    try {
      const done = await showProgress(vscode.l10n.t('Attention Lens: {0} is writing', located.label), work, () => this.engine.client.cancel(), messages);
      log().info(`continue #${id}: ${steps.length} tokens, stopped by ${done.stopped}${done.seed !== undefined ? `, seed ${done.seed}` : ''}`);
      run.writing = false;
      show();
      return { kind: 'written', id, continuation: done.continuation, steps, stopped: done.stopped, seed: done.seed };
    } catch (err) {
      const e = toEngineError(err);
      run.writing = false;
      if (e.code === 'cancelled') {
        // What was written before Cancel stays, and can be inserted.
        log().info(`continue #${id}: cancelled after ${steps.length} tokens`);
        show();
        return { kind: 'written', id, continuation: steps.map((s) => s.added).join(''), steps, stopped: 'cancelled' };
      }
      const message = e instanceof EngineStopped ? engineStopMessage(e.stop, e.restarted) : e.message;
      log().error(e.detail ? `${message}\n${e.detail}` : message);
      this.presenter.failed(message);
      void vscode.window.showErrorMessage(message);
      if (this.written?.tracking === tracking) this.forget();
      return { kind: 'failed', code: e.code, message };
    } finally {
      // Kept while its continuation is shown: Insert Generated Text needs where the selection ends now.
      if (this.written?.tracking !== tracking) tracking.dispose();
    }
  }

  /** "Insert Generated Text": the continuation becomes text after the selection, in one undoable edit. */
  async insert(): Promise<boolean> {
    const written = this.written;
    if (!written || written.document.isClosed || written.tracking.tracked.stale || !written.text) {
      this.nothing(vscode.l10n.t('There is no generated text to insert: run "Attention Lens: Continue Selection" first.'));
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.insert(written.document.uri, written.document.positionAt(written.tracking.tracked.end), written.text);
    this.forget();
    return vscode.workspace.applyEdit(edit);
  }

  dispose(): void {
    this.forget();
    this.ghost.dispose();
    for (const d of this.watching) d.dispose();
  }

  private showWritten(document: vscode.TextDocument, tracking: EditTracking, steps: WrittenToken[]): void {
    const text = steps.map((s) => s.added).join('');
    if (this.written && this.written.tracking !== tracking) this.forget();
    this.written = { document, tracking, text };
    this.ghost.show(document, tracking.tracked, text);
  }

  // The shown continuation goes: its ghost text, and the watch on the text it follows.
  private forget(): void {
    this.ghost.clear();
    this.written?.tracking.dispose();
    this.written = undefined;
  }

  private nothing(message: string): ContinuationOutcome {
    log().info(message);
    void vscode.window.showInformationMessage(message);
    return { kind: 'nothing', message };
  }
}
