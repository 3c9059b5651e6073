// The editor side of an inspection: hover cards, highlights of what the focused token attends to,
// the status bar item, and the link to the panel (hover there, highlight here, and back). It keeps
// the inspection in step with edits, so attention is never painted on text it was not computed for.
// The rows and strongest keys come from the engine's store, asynchronously: an answer that arrives
// after the focus, the view or the inspection changed is dropped.
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import { FollowSelection, type InspectTarget } from './followSelection';
import { AttentionHighlights, planHighlights } from './highlights';
import { EditorViews } from './editorViews';
import { attentionCard, goneCard, staleCard } from './hoverCard';
import type { HostEngine } from './hostEngine';
import type { Inspection } from './inspection';
import { log } from './log';
import type { PanelPresenter } from './presenter';
import type { ViewState } from '../protocol';
import { sanitizeViewState } from '../viewState';
import { readEditorSettings } from './settings';
import { InspectionStatus } from './statusBar';

/** Where the focused token was chosen: the caret, the mouse over the editor, or the panel. */
export type FocusSource = 'cursor' | 'hover' | 'panel';

/** Set while highlights and hover cards are on; the palette offers Clear Highlights only then. */
const ACTIVE_CONTEXT = 'attentionLens.active';
/** Set while there is an inspection (even with highlights cleared); the export commands need one. */
const INSPECTION_CONTEXT = 'attentionLens.hasInspection';

export class EditorLens extends Disposable {
  private current: Inspection | undefined;
  // False after Clear Highlights: the inspection is still tracked (the panel can reveal its tokens)
  // but the editor paints nothing and shows no cards until the next inspection.
  private active = false;
  private focus: { index: number; source: FocusSource } | undefined;
  // The last focusToken the panel was sent, so caret moves within one token send nothing.
  private panelFocus: number | null = null;
  private readonly highlights = new AttentionHighlights();
  private readonly status = new InspectionStatus();
  private readonly follow: FollowSelection;
  // The highlight request in flight: a newer one abandons it.
  private painting: { controller: AbortController; done: Promise<void> } | undefined;
  private readonly views: EditorViews;

  constructor(
    private readonly presenter: PanelPresenter,
    private readonly engine: HostEngine,
    inspect: (target: InspectTarget) => Promise<unknown>,
  ) {
    super();
    this.follow = new FollowSelection(inspect);
    this.views = new EditorViews(engine, (inspection) => this.rerun(inspection));
    this.register({ dispose: () => { this.current = undefined; } });
    for (const owned of [
      presenter.onDidChangeView(() => {
        if (this.focus) this.paint(this.focus.index);
      }),
      presenter.onDidRevealToken((index) => this.revealFromPanel(index)),
      presenter.onDidHoverToken((index) => this.hoveredInPanel(index)),
      this.highlights,
      this.status,
      this.follow,
      // Registered for every document but answers only over the inspected range; costs one URI compare elsewhere.
      vscode.languages.registerHoverProvider('*', { provideHover: (document, position) => this.hover(document, position) }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.selectionChanged(e)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.highlights.paintVisible()),
      vscode.workspace.onDidChangeTextDocument((e) => this.documentChanged(e)),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (this.current?.isIn(document)) this.forget();
      }),
    ]) this.register(owned);
  }

  /** The inspection the editor shows now, if any. */
  get inspection(): Inspection | undefined {
    return this.current;
  }

  /** The panel's view state, which the highlights and hover cards follow. */
  get viewState(): ViewState {
    return this.presenter.view;
  }

  get focused(): { index: number; source: FocusSource } | undefined {
    return this.focus;
  }

  /** The last focusToken index sent to the panel. */
  get focusSentToPanel(): number | null {
    return this.panelFocus;
  }

  get paintedNow() {
    return this.highlights.snapshot();
  }

  /** Settles when the highlights asked for last are painted (or dropped). */
  get painted(): Promise<void> {
    return this.painting?.done ?? Promise.resolve();
  }

  get statusNow() {
    return this.status.snapshot();
  }

  /** Makes `inspection` the one the editor shows, replacing any earlier one. */
  attach(inspection: Inspection): void {
    this.stopPainting();
    this.follow.cancel();
    this.current = inspection;
    this.engine.show('editor', inspection.id);
    this.active = true;
    this.focus = undefined;
    // A new inspection starts with nothing focused in the panel.
    this.panelFocus = null;
    this.status.show(inspection);
    void vscode.commands.executeCommand('setContext', ACTIVE_CONTEXT, true);
    void vscode.commands.executeCommand('setContext', INSPECTION_CONTEXT, true);
    if (inspection.stale) {
      // The text changed while the model ran: these results are for text no longer there.
      this.becameStale(inspection);
      return;
    }
    const editor = vscode.window.activeTextEditor;
    if (editor && inspection.isIn(editor.document)) this.followCaret(editor);
  }

  /** "Attention Lens: Clear Highlights": the editor stops painting and showing cards until the next inspection. */
  clear(): void {
    this.active = false;
    this.focus = undefined;
    this.follow.cancel();
    this.stopPainting();
    this.status.hide();
    this.tellPanel(null);
    void vscode.commands.executeCommand('setContext', ACTIVE_CONTEXT, false);
  }

  /** Reveals the panel, which shows the presenter's inspection. */
  showPanel(): void {
    this.presenter.reveal();
  }

  private revealFromPanel(index: number): void {
    const inspection = this.current;
    if (inspection && Number.isInteger(index)) void this.reveal(inspection, index);
  }

  private hoveredInPanel(index: number | null): void {
    const inspection = this.current;
    if (!inspection || !this.active) return;
    if (index === null) {
      // The mouse left the panel's tokens: the caret's token, if any, is focused again.
      const editor = vscode.window.activeTextEditor;
      if (editor && inspection.isIn(editor.document)) this.followCaret(editor);
      else this.focusOn(undefined, 'panel');
    } else if (Number.isInteger(index) && index >= 0 && index < inspection.tokens.length) {
      this.focusOn(index, 'panel');
    }
  }

  private async hover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const inspection = this.current;
    if (!inspection || !this.active || !inspection.isIn(document)) return undefined;
    if (!readEditorSettings(document.uri).hoverEnabled) return undefined;
    const offset = document.offsetAt(position);
    if (!this.inStep(inspection)) {
      const { start, end } = inspection.tracked;
      return offset >= start && offset < end ? new vscode.Hover(staleCard()) : undefined;
    }
    // The ghost text of a continuation sits at the end of the selection: hovering there tells about the token written last (or the one focused in the panel).
    const index = inspection.tokenAt(offset) ?? (offset === inspection.tracked.end ? this.writtenToken(inspection) : undefined);
    if (index === undefined) return undefined;
    this.focusOn(index, 'hover');
    const view = this.viewOf(inspection);
    const range = inspection.tokenRange(index);
    const keys = await this.views.keys(inspection, index, view);
    if (keys === 'gone') return new vscode.Hover(goneCard(), range);
    return keys && new vscode.Hover(attentionCard(inspection, index, keys, view), range);
  }

  private writtenToken(inspection: Inspection): number | undefined {
    const run = inspection.generated;
    if (!run || run.steps.length === 0) return undefined;
    const focused = this.focus?.index;
    return focused !== undefined && focused >= run.from ? focused : inspection.tokens.length - 1;
  }

  private selectionChanged(e: vscode.TextEditorSelectionChangeEvent): void {
    const editor = e.textEditor;
    const inspection = this.current;
    const inInspected = inspection?.isIn(editor.document) === true;
    const selection = editor.selection;
    if (!selection.isEmpty && editor === vscode.window.activeTextEditor && readEditorSettings(editor.document.uri).followSelection) {
      // A selection inside the inspected text (e.g. a token the panel revealed) only moves the focus.
      const inside = inInspected && inspection!.range().contains(selection);
      if (!inside) {
        this.follow.schedule(() => (editor.selection.isEqual(selection) ? { document: editor.document, range: selection } : undefined));
        return;
      }
    }
    if (inInspected && this.active) this.followCaret(editor);
  }

  private documentChanged(e: vscode.TextDocumentChangeEvent): void {
    const inspection = this.current;
    if (!inspection || !inspection.isIn(e.document) || e.contentChanges.length === 0) return;
    const wasStale = inspection.stale;
    let shifted = false;
    for (const change of e.contentChanges) {
      const effect = inspection.tracked.apply({ offset: change.rangeOffset, length: change.rangeLength, inserted: change.text.length });
      if (effect === 'before') shifted = true;
    }
    inspection.version = e.document.version;
    if (inspection.stale) {
      if (!wasStale) this.becameStale(inspection);
      else this.scheduleRerun(inspection);
    } else if (shifted && this.focus) {
      // The editor moves decorations with the text already; repainting keeps the ranges we report exact.
      this.paint(this.focus.index);
    }
  }

  private becameStale(inspection: Inspection): void {
    this.focus = undefined;
    this.stopPainting();
    this.tellPanel(null);
    if (this.active) this.status.show(inspection);
    log().info(`inspection #${inspection.id}: its text was edited; highlights removed`);
    this.scheduleRerun(inspection);
  }

  private scheduleRerun(inspection: Inspection): void {
    if (!this.active || !readEditorSettings(inspection.document.uri).followSelection) return;
    this.follow.schedule(() => (this.current === inspection ? { document: inspection.document, range: inspection.range() } : undefined));
  }

  // The caret's token, or the token a selection covers exactly (as a token revealed from the panel).
  private followCaret(editor: vscode.TextEditor): void {
    const inspection = this.current;
    if (!inspection) return;
    const selection = editor.selection;
    let index: number | undefined;
    if (selection.isEmpty) {
      index = inspection.tokenAt(editor.document.offsetAt(selection.active), true);
    } else {
      const candidate = inspection.tokenAt(editor.document.offsetAt(selection.start));
      if (candidate !== undefined && inspection.tokenRange(candidate)?.isEqual(selection)) index = candidate;
    }
    this.focusOn(index, 'cursor');
  }

  private focusOn(index: number | undefined, source: FocusSource): void {
    const inspection = this.current;
    if (index === undefined || !inspection || !this.active || !this.inStep(inspection)) {
      this.focus = undefined;
      this.stopPainting();
      if (source !== 'panel') this.tellPanel(null);
      return;
    }
    const same = this.focus?.index === index;
    this.focus = { index, source };
    if (!same || !this.highlights.snapshot()) this.paint(index);
    // The panel is not told about the focus it set itself.
    if (source !== 'panel') this.tellPanel(index);
  }

  private paint(index: number): void {
    const inspection = this.current;
    if (!inspection || !this.inStep(inspection)) return;
    this.painting?.controller.abort();
    const controller = new AbortController();
    const done = this.views.row(inspection, index, this.viewOf(inspection), controller.signal).then((row) => {
      // Dropped when anything moved on while the engine answered.
      if (!row || controller.signal.aborted || this.current !== inspection || this.focus?.index !== index || !this.active) return;
      if (this.inStep(inspection)) this.highlights.show(inspection, planHighlights(inspection, index, row));
    });
    this.painting = { controller, done };
  }

  private stopPainting(): void {
    this.painting?.controller.abort();
    this.highlights.clear();
  }

  // The engine no longer keeps the inspection's attention: the text is inspected again, if still shown.
  private rerun(inspection: Inspection): void {
    if (this.current !== inspection || !this.inStep(inspection)) return;
    this.follow.schedule(() => (this.current === inspection ? { document: inspection.document, range: inspection.range() } : undefined));
  }

  // The panel's view state, kept inside `inspection`: the panel may already show a newer, larger model.
  private viewOf(inspection: Inspection): ViewState {
    const { model } = inspection.started;
    return sanitizeViewState(this.presenter.view, { layers: model.layers, heads: model.heads, tokens: inspection.tokens.length });
  }

  private tellPanel(index: number | null): void {
    if (this.panelFocus === index) return;
    this.panelFocus = index;
    this.presenter.focusToken(index);
  }

  // Whether the inspection still describes the document's text. A version the change listener has
  // not seen means an edit went past it: treat the inspection as stale rather than guess.
  private inStep(inspection: Inspection): boolean {
    if (inspection.document.isClosed) return false;
    if (inspection.document.version !== inspection.version) inspection.tracked.markStale();
    return !inspection.stale;
  }

  private forget(): void {
    this.clear();
    this.current = undefined;
    this.engine.show('editor', undefined);
    void vscode.commands.executeCommand('setContext', INSPECTION_CONTEXT, false);
  }

  private async reveal(inspection: Inspection, index: number): Promise<void> {
    if (!this.inStep(inspection)) return;
    const range = inspection.tokenRange(index);
    if (!range) return;
    // In the column that already shows the document: the active group is the panel's when the user
    // clicked there, and opening the document in it would hide the panel.
    const shown = vscode.window.visibleTextEditors.find((e) => inspection.isIn(e.document));
    const editor = await vscode.window.showTextDocument(inspection.document, {
      preserveFocus: false, viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One,
    });
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}
