// Items that come faster than a frame go out together: the first after a quiet frame goes at once,
// later ones wait for the frame's end. The engine sends a continuation's tokens this way, so the
// extension host wakes at most once a frame however fast the model writes.

/** A frame at 60 Hz: nothing on screen changes faster. */
export const FRAME_MS = 16;

export class FrameBatch<T> {
  private pending: T[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSent = -Infinity;

  constructor(
    private readonly send: (items: T[]) => void,
    private readonly frameMs = FRAME_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Adds `item`: sent now if nothing went out in the last frame, else with the others at the frame's end. */
  push(item: T): void {
    this.pending.push(item);
    if (this.timer !== undefined) return;
    const wait = this.lastSent + this.frameMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends what waits, now (before anything that must follow it, such as the run's reply). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.lastSent = this.now();
    this.send(items);
  }
}
