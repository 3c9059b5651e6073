// The panel's text: the one table of webview/views/strings.ts, filled through vscode.l10n.t and
// handed to the page with its HTML.
import * as vscode from 'vscode';
import { bundledStrings, fillStrings, type Strings } from '../../webview/views/strings';

/** VS Code's display language; ATTENTION_LENS_LOCALE overrides it for the panel alone. */
export function panelLanguage(): string {
  return process.env.ATTENTION_LENS_LOCALE?.trim() || vscode.env.language;
}

/** The table in the panel's language. */
export function panelStrings(): Strings {
  const language = panelLanguage();
  if (language === vscode.env.language) return fillStrings((english) => vscode.l10n.t(english));
  // vscode.l10n speaks the workbench's language; a panel set apart from it (a workbench without
  // that language pack, as in the end-to-end tests) reads the extension's bundle for its own.
  return bundledStrings(language);
}
