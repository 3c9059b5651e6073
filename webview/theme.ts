// Theme colours for canvas drawing. CSS can use var(--vscode-*) directly, but a canvas needs actual
// colours, so they are resolved here; VS Code swaps the variables and the body's class on a theme
// change, and `watchTheme` notices so the canvases can redraw.
import { heatLut } from './palette';
import { contrast, parseColor, type Rgba } from './views/color';

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

/** Resolved colours and fonts of the current VS Code theme. */
export interface Theme {
  kind: ThemeKind;
  highContrast: boolean;
  background: Rgba;
  foreground: Rgba;
  muted: Rgba;
  accent: Rgba;
  focus: Rgba;
  border: Rgba;
  widgetBackground: Rgba;
  widgetForeground: Rgba;
  widgetBorder: Rgba;
  fontFamily: string;
  monoFamily: string;
  /** Heat lookup table from `heatLut`. */
  heat: Uint32Array;
}

type Role = Exclude<keyof Theme, 'kind' | 'highContrast' | 'fontFamily' | 'monoFamily' | 'heat'>;

// Variables tried in order for each role; the last resort is the fallback table below, which is what
// a page outside VS Code (the test page) sees when it defines no variables.
const VARIABLES: Record<Role, string[]> = {
  background: ['--vscode-editor-background'],
  foreground: ['--vscode-editor-foreground', '--vscode-foreground'],
  muted: ['--vscode-descriptionForeground'],
  accent: ['--vscode-charts-blue', '--vscode-textLink-foreground'],
  focus: ['--vscode-focusBorder'],
  border: ['--vscode-panel-border', '--vscode-widget-border'],
  widgetBackground: ['--vscode-editorHoverWidget-background', '--vscode-editorWidget-background'],
  widgetForeground: ['--vscode-editorHoverWidget-foreground', '--vscode-editorWidget-foreground', '--vscode-foreground'],
  widgetBorder: ['--vscode-editorHoverWidget-border', '--vscode-editorWidget-border'],
};

// High-contrast themes draw attention with their contrast borders, which are the colours those
// themes guarantee to stand out; their chart colours are not tuned for it.
const HIGH_CONTRAST_VARIABLES: Partial<Record<Role, string[]>> = {
  accent: ['--vscode-contrastActiveBorder', '--vscode-focusBorder'],
  focus: ['--vscode-contrastActiveBorder', '--vscode-focusBorder'],
  border: ['--vscode-contrastBorder'],
  widgetBorder: ['--vscode-contrastBorder'],
};

const FALLBACKS: Record<ThemeKind, Record<Role, string>> = {
  dark: {
    background: '#1e1e1e', foreground: '#cccccc', muted: '#9d9d9d', accent: '#3794ff', focus: '#007fd4',
    border: '#474747', widgetBackground: '#252526', widgetForeground: '#cccccc', widgetBorder: '#454545',
  },
  light: {
    background: '#ffffff', foreground: '#3b3b3b', muted: '#717171', accent: '#1a85ff', focus: '#0090f1',
    border: '#c8c8c8', widgetBackground: '#f3f3f3', widgetForeground: '#3b3b3b', widgetBorder: '#c8c8c8',
  },
  'high-contrast': {
    background: '#000000', foreground: '#ffffff', muted: '#ffffff', accent: '#f38518', focus: '#f38518',
    border: '#6fc3df', widgetBackground: '#0c141f', widgetForeground: '#ffffff', widgetBorder: '#6fc3df',
  },
  'high-contrast-light': {
    background: '#ffffff', foreground: '#292929', muted: '#292929', accent: '#006bbd', focus: '#006bbd',
    border: '#0f4a85', widgetBackground: '#ffffff', widgetForeground: '#292929', widgetBorder: '#0f4a85',
  },
};

/** The theme kind from the classes VS Code puts on `<body>`. */
export function themeKind(body: HTMLElement): ThemeKind {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  if (c.contains('vscode-dark')) return 'dark';
  // Outside VS Code, follow the browser's preference.
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

/** Resolves the current theme's colours through a probe element inside `host`. */
export function readTheme(host: HTMLElement): Theme {
  const body = host.ownerDocument.body;
  const kind = themeKind(body);
  const highContrast = kind.startsWith('high-contrast');
  // Setting `color` and reading it back lets the browser resolve any colour syntax a theme uses.
  const probe = host.ownerDocument.createElement('span');
  probe.style.display = 'none';
  host.append(probe);
  const resolve = (role: Role): Rgba => {
    const names = [...((highContrast && HIGH_CONTRAST_VARIABLES[role]) || []), ...VARIABLES[role]];
    const fallback = FALLBACKS[kind][role];
    const chain = names.reduceRight((inner, name) => `var(${name}, ${inner})`, fallback);
    probe.style.color = fallback;
    probe.style.color = chain;
    const resolved = parseColor(getComputedStyle(probe).color);
    return resolved && resolved.a > 0 ? resolved : parseColor(fallback)!;
  };
  const colours = Object.fromEntries((Object.keys(VARIABLES) as Role[]).map((role) => [role, resolve(role)])) as Record<Role, Rgba>;
  const style = getComputedStyle(body);
  probe.remove();
  // A translucent background (some themes use one) is drawn over black or white as the webview does.
  colours.background = { ...colours.background, a: 1 };
  if (contrast(colours.accent, colours.background) < 1.5) colours.accent = colours.foreground;
  return {
    kind,
    highContrast,
    ...colours,
    fontFamily: style.getPropertyValue('--vscode-font-family').trim() || 'system-ui, sans-serif',
    monoFamily: style.getPropertyValue('--vscode-editor-font-family').trim() || 'ui-monospace, monospace',
    heat: heatLut(colours.background, colours.accent, colours.foreground),
  };
}

/**
 * Calls `onChange` with the new theme whenever the body's class (VS Code's theme kind) or the root's
 * inline style (where VS Code writes the --vscode-* variables) changes. Returns the disconnect.
 */
export function watchTheme(host: HTMLElement, onChange: (theme: Theme) => void): () => void {
  const doc = host.ownerDocument;
  let pending = false;
  const observer = new MutationObserver(() => {
    // Class and variables change in the same task; read once after both.
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      onChange(readTheme(host));
    });
  });
  observer.observe(doc.body, { attributes: true, attributeFilter: ['class', 'style'] });
  observer.observe(doc.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });
  return () => observer.disconnect();
}
