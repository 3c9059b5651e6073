// The models chosen lately, newest first, for the model picker. Kept in globalState so the list
// follows the person across workspaces; setting values are stored as written.
import type * as vscode from 'vscode';

const KEY = 'attentionLens.recentModels';
const KEEP = 5;

export class RecentModels {
  constructor(private readonly state: vscode.Memento) {}

  /** Setting values chosen lately, newest first; the default ('') is never listed. */
  list(): string[] {
    const stored = this.state.get<unknown>(KEY);
    return Array.isArray(stored) ? stored.filter((v): v is string => typeof v === 'string' && v.trim() !== '') : [];
  }

  /** Moves `value` to the front. */
  async remember(value: string): Promise<void> {
    if (value.trim() === '') return;
    await this.state.update(KEY, [value, ...this.list().filter((v) => v !== value)].slice(0, KEEP));
  }

  /** Takes `value` off the list (a folder that was deleted, for instance). */
  async forget(value: string): Promise<void> {
    await this.state.update(KEY, this.list().filter((v) => v !== value));
  }
}
