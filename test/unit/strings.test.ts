// The one table of panel text: every entry has its Spanish in the l10n bundle that vscode.l10n.t reads,
// with the same placeholders, and a filled table reads in that language.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { bundledStrings, STRINGS, translator, type StringKey } from '../../webview/views/strings';
import { ROOT } from './fixtures';

const es = JSON.parse(readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.es.json'), 'utf8')) as Record<string, string>;
const placeholders = (text: string) => [...text.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();

describe('panel strings', () => {
  it('every English text has a Spanish translation with the same placeholders', () => {
    const missing = Object.values(STRINGS).filter((english) => !(english in es));
    assert.deepEqual(missing, []);
    for (const english of Object.values(STRINGS)) assert.deepEqual(placeholders(es[english]), placeholders(english), english);
  });

  it('a table filled for es-419 reads in Spanish; an unknown locale and missing keys read in English', () => {
    const key: StringKey = 'matrix.caption.head';
    assert.equal(translator(bundledStrings('es-419'))(key, 2, 3), es[STRINGS[key]].replace('{0}', '2').replace('{1}', '3'));
    assert.equal(translator(bundledStrings('fr'))(key, 2, 3), STRINGS[key].replace('{0}', '2').replace('{1}', '3'));
    assert.equal(translator({})('panel.layers'), STRINGS['panel.layers']);
  });
});
