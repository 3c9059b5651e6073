// The colour key under a heatmap: the ramp from 0 to the largest weight shown.
import { heatColor } from '../palette';
import type { Theme } from '../theme';
import { cssColor } from './color';
import { formatWeight } from './format';
import type { Translate } from './strings';

/** A bar with the theme's heat ramp between "0" and the maximum, as nodes to insert. */
export function heatLegend(theme: Theme, max: number, t: Translate): HTMLElement[] {
  const stops: string[] = [];
  // Stops evenly spaced in weight, so the bar shows the square-root spread the matrix uses.
  for (let i = 0; i <= 8; i++) stops.push(cssColor(heatColor(theme.background, theme.accent, theme.foreground, Math.sqrt(i / 8))));
  const bar = document.createElement('span');
  bar.className = 'al-legend';
  bar.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
  bar.setAttribute('role', 'img');
  bar.setAttribute('aria-label', t('matrix.scale', formatWeight(max)));
  const low = Object.assign(document.createElement('span'), { className: 'al-note', textContent: '0' });
  const high = Object.assign(document.createElement('span'), { className: 'al-note', textContent: formatWeight(max) });
  return [low, bar, high];
}
