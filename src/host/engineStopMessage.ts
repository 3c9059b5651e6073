// What the user is told when the engine process stopped: a crash, or a limit the host ended it for.
import * as vscode from 'vscode';
import { describeStop, type EngineStop } from '../engine/engineStop';

/** The sentence for `stop`, in the user's language; `restarted` says whether a new engine already runs. */
export function engineStopMessage(stop: EngineStop, restarted = true): string {
  if (!restarted) return vscode.l10n.t('The attention engine stopped ({0}); it starts again with the next inspection.', describeStop(stop));
  switch (stop.kind) {
    case 'memory':
      return vscode.l10n.t('The attention engine used {0} MB, more than its limit of {1} MB (attentionLens.engine.memoryLimitMB), and was restarted.',
        stop.usedMB, stop.limitMB);
    case 'timeout':
      return vscode.l10n.t('The attention engine made no progress for {0} seconds (attentionLens.engine.timeoutSeconds) and was restarted.', stop.seconds);
    case 'crashed':
      return vscode.l10n.t('The attention engine stopped ({0}) and was restarted.', describeStop(stop));
  }
}
