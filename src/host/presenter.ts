// The one owner of what the panel shows (src/host/panelContent.ts: the inspection as it streams in,
// the view state, what runs or failed, the focused token). The panel's page, whenever it loads
// (first open, shown again after being hidden, window reload), asks what to show and gets all of it,
// then every change. The inspector, the editor lens and the exporter talk to the presenter, never to
// the page; the lens and the exporter subscribe to what the user does there. The attention itself
// stays in the engine: the page's view requests are forwarded to it, for the inspection shown only.
import * as vscode from 'vscode';
import { ChannelError, Transfer, type Handlers, type RequestContext } from '../channel';
import type {
  AttentionReply, AttentionRequest, ExportView, PanelInspection, PanelPng, PanelUpdate, PresenterApi, Timings, ViewState,
} from '../protocol';
import { Disposable } from './disposable';
import type { HostEngine } from './hostEngine';
import { log } from './log';
import { AttentionPanel, type PageChannel } from './panel';
import { PanelContent, type SavedInspection, type ShownInspection } from './panelContent';

export class PanelPresenter extends Disposable {
  private readonly content = new PanelContent();
  // The page that asked what to show, as a function that sends it one update.
  private page: ((update: PanelUpdate) => void) | undefined;
  private readonly pageWaiters = new Set<() => void>();
  private readonly viewEmitter = this.register(new vscode.EventEmitter<ViewState>());
  private readonly revealEmitter = this.register(new vscode.EventEmitter<number>());
  private readonly hoverEmitter = this.register(new vscode.EventEmitter<number | null>());
  private readonly exportEmitter = this.register(new vscode.EventEmitter<ExportView | 'report'>());
  private readonly windowEmitter = this.register(new vscode.EventEmitter<number>());
  // The page's view requests the engine has not answered yet, and who waits for there to be none.
  private viewsInFlight = 0;
  private readonly settleWaiters = new Set<() => void>();

  /** The view state changed: the user changed it in the panel, or a new inspection kept what it could. */
  readonly onDidChangeView = this.viewEmitter.event;
  /** The user locked token `index` in the panel. */
  readonly onDidRevealToken = this.revealEmitter.event;
  /** The pointer entered a token in the panel, or left them (null). */
  readonly onDidHoverToken = this.hoverEmitter.event;
  /** The user picked an item of the panel's Export menu. */
  readonly onDidAskExport = this.exportEmitter.event;
  /** The user stepped to window `index` of the shown text. */
  readonly onDidAskWindow = this.windowEmitter.event;

  /** What the presenter answers for the panel's page. */
  readonly handlers: Handlers<PresenterApi> = {
    show: (_params, context) => this.attach(context),
    viewState: (view) => this.reported(view),
    revealToken: ({ index }) => this.revealEmitter.fire(index),
    hoverToken: ({ index }) => this.hoverEmitter.fire(index),
    export: ({ what }) => this.exportEmitter.fire(what),
    showWindow: ({ index }) => this.windowEmitter.fire(index),
    view: ({ inspection, request }, { signal }) => this.forwardView(inspection, request, signal),
    // The presenter decides what the engine keeps: it releases an inspection when it shows another.
    release: () => undefined,
  };

  constructor(private readonly extensionUri: vscode.Uri, private readonly engine: HostEngine) {
    super();
    this.register({ dispose: () => AttentionPanel.open?.dispose() });
  }

  /** The view state the panel shows, which the editor's highlights and hover cards follow. */
  get view(): ViewState {
    return this.content.view;
  }

  /** The inspection the panel shows, if any. */
  get shown(): ShownInspection | undefined {
    return this.content.shown;
  }

  /** Reveals the panel, creating it if there is none; its page then asks what to show. */
  reveal(): void {
    AttentionPanel.show(this.extensionUri, this.handlers);
  }

  /**
   * Adopts a panel VS Code restored after a window reload with the state its page saved: the view
   * state is taken back at once; the inspection summary is returned for the caller to run again.
   */
  revive(panel: vscode.WebviewPanel, state: unknown): SavedInspection | undefined {
    AttentionPanel.revive(panel, this.extensionUri, this.handlers);
    return this.content.restore(state);
  }

  /** Something runs: the panel says so over the last inspection. */
  busy(title: string): void {
    this.send(this.content.busy(title));
  }

  /** Something failed or was cancelled: the panel says so over the last inspection. */
  failed(message: string): void {
    this.send(this.content.failed(message));
  }

  /** A new inspection, before any attention: the view state is kept where the new model allows. */
  begin(inspection: PanelInspection): void {
    this.changingView(() => this.send(this.content.begin(inspection)));
    this.engine.show('panel', inspection.id);
  }

  /** Layer `layer` of inspection `id` is in the engine's store. */
  layer(id: number, layer: number): void {
    this.send(this.content.layer(id, layer));
  }

  /** Every layer of inspection `id` has arrived. */
  done(id: number, timings: Timings): void {
    this.send(this.content.done(id, timings));
  }

  /** The editor focused token `index` of the shown inspection (caret or mouse), or none. */
  focusToken(index: number | null): void {
    this.send(this.content.focusToken(index));
  }

  /**
   * Resolves once the engine has answered every view the page asked for (at once when there are
   * none), so a caller showing the inspection again does not pile new requests on unanswered ones.
   */
  viewsSettled(): Promise<void> {
    if (this.viewsInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.add(resolve));
  }

  /**
   * `view` (default: the one the user last used) as the panel draws it now, as PNG. Shows the panel
   * first when it is closed or hidden, and waits up to `timeoutMs` for its page.
   */
  async renderPng(view: ExportView | undefined, timeoutMs: number): Promise<PanelPng> {
    const signal = AbortSignal.timeout(timeoutMs);
    const channel = await this.pageChannel(signal);
    return channel.request('exportView', { view }, { signal });
  }

  // "What do you show?": everything now, then every change, until the page goes.
  private attach({ emit, signal }: RequestContext<PanelUpdate>): Promise<void> {
    const send = (update: PanelUpdate) => emit(update);
    this.page = send;
    for (const update of this.content.snapshot()) send(update);
    for (const wake of this.pageWaiters) wake();
    return new Promise((resolve) => signal.addEventListener('abort', () => {
      if (this.page === send) this.page = undefined;
      resolve();
    }, { once: true }));
  }

  // The page's view of the shown inspection, from the engine's store; its buffers move on to the page.
  private async forwardView(inspection: number, request: AttentionRequest, signal: AbortSignal): Promise<Transfer<AttentionReply>> {
    if (this.content.shown?.inspection.id !== inspection) {
      throw new ChannelError('attention-evicted', 'The panel no longer shows this inspection.', `inspection ${inspection}`);
    }
    this.viewsInFlight++;
    try {
      const reply = await this.engine.view(inspection, request, signal);
      return new Transfer(reply, Object.values(reply).filter((v): v is ArrayBuffer => v instanceof ArrayBuffer));
    } finally {
      if (--this.viewsInFlight === 0) {
        const waiters = [...this.settleWaiters];
        this.settleWaiters.clear();
        for (const wake of waiters) wake();
      }
    }
  }

  private reported(value: ViewState): void {
    const updates = this.changingView(() => this.content.report(value));
    if (updates) this.send(updates);
    else log().warn(`ignored a view state the inspection does not have: ${JSON.stringify(value)}`);
  }

  // Runs `change` and tells the editor when it changed the view state.
  private changingView<T>(change: () => T): T {
    const before = this.content.view;
    const result = change();
    if (this.content.view !== before) this.viewEmitter.fire(this.content.view);
    return result;
  }

  private send(updates: PanelUpdate[]): void {
    if (this.page) for (const update of updates) this.page(update);
  }

  private async pageChannel(signal: AbortSignal): Promise<PageChannel> {
    const ready = () => (this.page ? AttentionPanel.open?.channel : undefined);
    this.reveal();
    let channel = ready();
    while (!channel) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          this.pageWaiters.delete(wake);
          signal.removeEventListener('abort', stop);
          resolve();
        };
        const stop = () => {
          this.pageWaiters.delete(wake);
          reject(new ChannelError('timeout', 'The panel did not load in time.'));
        };
        if (signal.aborted) return stop();
        this.pageWaiters.add(wake);
        signal.addEventListener('abort', stop, { once: true });
      });
      channel = ready();
    }
    return channel;
  }
}
