// The panel's text: the one table of webview/views/strings.ts, filled through vscode.l10n.t (which
// reads the extension's l10n bundle for VS Code's display language) and handed to the page with
// its HTML.
import * as vscode from 'vscode';
import { fillStrings, type Strings } from '../../webview/views/strings';

/** The table in VS Code's display language. */
export function panelStrings(): Strings {
  return fillStrings((english) => vscode.l10n.t(english));
}
