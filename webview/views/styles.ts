// The views' stylesheet, adopted as a constructed stylesheet: a VS Code webview's content security
// policy can forbid <style> elements and style attributes, but not CSSOM. Colours are --vscode-*
// variables, with fallbacks only for pages outside VS Code.

const CSS = `
.al-app {
  color: var(--vscode-foreground, #cccccc);
  font-family: var(--vscode-font-family, system-ui, sans-serif);
  font-size: var(--vscode-font-size, 13px);
  display: flex;
  flex-direction: column;
  gap: 12px;
  padding-bottom: 16px;
}
.al-app [hidden] { display: none !important; }
.al-body { display: flex; flex-direction: column; gap: 12px; }
.al-app h2 {
  font-size: 11px;
  font-weight: 600;
  text-transform: uppercase;
  letter-spacing: 0.04em;
  margin: 0 0 4px;
  color: var(--vscode-foreground, #cccccc);
}
.al-app p { margin: 2px 0; }
.al-toolbar { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 8px 16px; }
.al-field { display: flex; flex-direction: column; gap: 2px; }
.al-field vscode-label { padding: 0; }
.al-field vscode-single-select { width: 120px; }
.al-field vscode-single-select.al-wide { width: 260px; }
.al-toggle { margin-bottom: 4px; }
.al-windows { display: flex; align-items: center; gap: 8px; }
.al-window-step { min-width: 28px; }
.al-export { position: relative; margin-bottom: 2px; margin-left: auto; }
.al-export-menu {
  position: absolute;
  right: 0;
  top: calc(100% + 2px);
  z-index: 10;
  display: flex;
  flex-direction: column;
  min-width: 200px;
  padding: 4px 0;
  background: var(--vscode-menu-background, #252526);
  color: var(--vscode-menu-foreground, #cccccc);
  border: 1px solid var(--vscode-menu-border, var(--vscode-widget-border, #454545));
  border-radius: 4px;
  box-shadow: 0 2px 8px var(--vscode-widget-shadow, rgba(0, 0, 0, 0.36));
}
.al-export-item {
  all: unset;
  box-sizing: border-box;
  padding: 4px 12px;
  cursor: pointer;
  white-space: nowrap;
  font: inherit;
  color: inherit;
}
.al-export-item:hover, .al-export-item:focus {
  background: var(--vscode-menu-selectionBackground, var(--vscode-list-activeSelectionBackground, #04395e));
  color: var(--vscode-menu-selectionForeground, var(--vscode-list-activeSelectionForeground, #ffffff));
}
.al-export-item:focus-visible { outline: 1px solid var(--vscode-focusBorder, #007fd4); outline-offset: -1px; }
.al-progress { display: flex; flex-direction: column; gap: 4px; }
.al-waiting, .al-note, .al-caption { color: var(--vscode-descriptionForeground, #9d9d9d); }
.al-caption { color: var(--vscode-foreground, #cccccc); }
.al-strip {
  display: flex;
  flex-wrap: wrap;
  align-items: baseline;
  gap: 3px 1px;
  padding: 6px;
  max-height: 180px;
  overflow: auto;
  font-family: var(--vscode-editor-font-family, ui-monospace, monospace);
  font-size: var(--vscode-editor-font-size, 13px);
  border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
  border-radius: 2px;
}
.al-strip:focus-visible, .al-app canvas:focus-visible {
  outline: 1px solid var(--vscode-focusBorder, #007fd4);
  outline-offset: 2px;
}
.al-token {
  padding: 1px 2px;
  border-radius: 2px;
  cursor: pointer;
  white-space: pre;
  color: var(--vscode-editor-foreground, #cccccc);
  outline: 1px solid transparent;
}
.al-token.al-gap { margin-left: 0.6ch; }
.al-break { flex-basis: 100%; height: 0; }
.al-token.al-special { color: var(--vscode-descriptionForeground, #9d9d9d); font-style: italic; }
.al-token.al-hidden { display: none; }
.al-token.al-generated {
  color: var(--vscode-editorGhostText-foreground, #8b8b8b);
  font-style: italic;
  border-bottom: 1px dotted var(--vscode-editorGhostText-foreground, #8b8b8b);
}
.al-candidates { display: flex; flex-wrap: wrap; gap: 4px 10px; margin: 4px 0 0; padding: 0; list-style: none; }
.al-candidates li { font-family: var(--vscode-editor-font-family, monospace); white-space: pre; }
.al-candidates li.al-chosen { font-weight: bold; text-decoration: underline; }
.al-token.al-active { outline: 1px dashed var(--vscode-focusBorder, #007fd4); }
.al-token.al-locked {
  outline: 2px solid var(--vscode-contrastActiveBorder, var(--vscode-focusBorder, #007fd4));
  text-decoration: underline;
}
.al-views { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 16px 24px; align-items: start; }
.al-section { min-width: 0; }
.al-canvas-wrap { position: relative; }
.al-app canvas { display: block; }
.al-tooltip {
  position: absolute;
  z-index: 1;
  pointer-events: none;
  white-space: pre;
  padding: 2px 6px;
  font-family: var(--vscode-editor-font-family, ui-monospace, monospace);
  font-size: var(--vscode-editor-font-size, 12px);
  color: var(--vscode-editorHoverWidget-foreground, var(--vscode-foreground, #cccccc));
  background: var(--vscode-editorHoverWidget-background, #252526);
  border: 1px solid var(--vscode-editorHoverWidget-border, #454545);
  box-shadow: 0 2px 8px var(--vscode-widget-shadow, rgba(0, 0, 0, 0.36));
}
.al-legend-row { display: flex; align-items: center; gap: 6px; margin-top: 6px; }
.al-legend {
  display: inline-block;
  width: 140px;
  height: 8px;
  border: 1px solid var(--vscode-contrastBorder, var(--vscode-panel-border, rgba(128, 128, 128, 0.35)));
}
.al-head-toggles { display: flex; flex-wrap: wrap; gap: 2px 12px; margin: 4px 0; }
.al-head-toggle { display: inline-flex; align-items: center; gap: 4px; }
.al-swatch {
  display: inline-block;
  width: 10px;
  height: 10px;
  border-radius: 2px;
  outline: 1px solid var(--vscode-contrastBorder, transparent);
}
.al-heads-scroll {
  max-height: 520px;
  overflow: auto;
  border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
}
.al-viewport-spacer > canvas { position: sticky; top: 0; }
`;

const adopted = new WeakSet<Document>();

/** Adds the views' stylesheet to `doc` once. */
export function adoptStyles(doc: Document): void {
  if (adopted.has(doc)) return;
  adopted.add(doc);
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
}
