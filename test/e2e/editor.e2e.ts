// End to end, the editor side: a person selects a phrase, inspects it from the palette, then rests
// the mouse on a word of it and reads the hover card (the five tokens that word attends to most),
// while the tokens it attends to are painted in the editor. Screenshots go to
// test-results/e2e-editor/ (inspect.e2e.ts empties test-results/e2e/ when it starts, and the files
// may run one after the other).
import * as assert from 'node:assert/strict';
import { workbenchSession } from '../harness/session';
import { waitFor } from '../harness/wait';
import { openFromExplorer, pointAt, runFromPalette, selectionStatus, selectWithKeyboard } from '../harness/workbench';

const session = workbenchSession('e2e-editor');

session.test('hover a word of an inspected phrase and read the five tokens it attends to', 180_000, async () => {
  await openFromExplorer(session.page, 'story.txt');
  // Line 1: "Once upon a time, there was a little girl named Lily who loved to play in the park."
  const line = 'Once upon a time, there was a little girl named Lily who loved to play in the park.';
  await selectWithKeyboard(session.page, 1, 1, line.length);
  await runFromPalette(session.page, 'Attention Lens: Inspect Selection');

  // The status bar names the model and where it ran once the inspection is attached to the editor.
  const status = session.page.locator('.statusbar-item', { hasText: /tinystories.*·/i }).first();
  await status.waitFor({ timeout: 60_000 });
  console.log(`status bar: ${(await status.textContent())?.trim()}`);
  // Drop the selection so the highlights are not hidden under it; the caret goes to the empty
  // last line, outside the inspected text, and the editor scrolls back to column 1.
  await session.page.keyboard.press('Control+End');
  await waitFor('the selection to clear', async () => !(await selectionStatus(session.page)).includes('selected'), { timeoutMs: 10_000 });
  await session.shot('1-inspected');

  // Rest the mouse on "Lily" (the editor beside the panel is too narrow to show the whole line):
  // VS Code shows the hover after its delay.
  const lily = line.indexOf('Lily') + 1;
  const hover = session.page.locator('.monaco-hover:visible', { hasText: 'Attention Lens' }).first();
  await waitFor('the Attention Lens hover card', async () => {
    const { x, y } = await pointAt(session.page, 1, lily + 1);
    await session.page.mouse.move(x - 3, y);
    await session.page.mouse.move(x, y, { steps: 3 });
    return hover.waitFor({ timeout: 2_500 }).then(() => true, () => false);
  }, { timeoutMs: 30_000, intervalMs: 200 });
  const rows = hover.locator('table tbody tr');
  await waitFor('five rows in the card', async () => (await rows.count()) === 5, { timeoutMs: 10_000 });
  const entries = await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? '')));
  console.log(`hover card: ${(await hover.locator('p').first().textContent())?.trim()}`);
  for (const entry of entries) console.log(`  ${entry.join(' | ')}`);
  assert.equal(entries.length, 5);
  entries.forEach((cells, i) => {
    assert.equal(cells[0], String(i + 1));
    assert.match(cells[2], /^#\d+$/);
    assert.match(cells[3], /^[01]\.\d{3}$/);
  });
  const weights = entries.map((cells) => Number(cells[3]));
  assert.deepEqual([...weights].sort((a, b) => b - a), weights, 'heaviest first');

  // The tokens "girl" attends to are painted: inline decorations in the editor's overlay layer.
  const painted = await session.page.locator('.editor-instance .monaco-editor').first().locator('.view-overlays .cdr').count();
  console.log(`painted decorations: ${painted}`);
  assert.ok(painted > 0, 'no highlights in the editor');
  await session.shot('2-hover-card');
});
