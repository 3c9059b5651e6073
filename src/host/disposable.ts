// One way to own resources in the host: what an object `register`s (listeners, commands, emitters,
// a webview panel, cleanup of its own) is disposed with it, once, in the order registered. Pure, so
// the host's owners share it instead of each keeping a list by hand.

/** Anything with a dispose(), as vscode.Disposable is. */
export interface DisposableLike {
  dispose(): unknown;
}

/** Base for owners of disposables; `dispose()` disposes everything registered, and is safe to call twice. */
export abstract class Disposable implements DisposableLike {
  private readonly owned: DisposableLike[] = [];
  private disposed = false;

  /** Whether dispose() has run (or is running). */
  protected get isDisposed(): boolean {
    return this.disposed;
  }

  /** Owns `item`: it is disposed with this object, or at once when this object is already disposed. */
  protected register<T extends DisposableLike>(item: T): T {
    if (this.disposed) item.dispose();
    else this.owned.push(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const item of this.owned.splice(0)) item.dispose();
  }
}
