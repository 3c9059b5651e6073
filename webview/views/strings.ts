// Every piece of text the attention views show. The panel receives VS Code's locale from the host
// (webviews have no vscode.l10n), so the views look their text up here: English is the default and
// the fallback for any key a table lacks.

const en = {
  'app.waiting': 'Select text and run “Attention Lens: Inspect Selection” to see its attention.',
  'controls.label': 'Attention view options',
  'controls.layer': 'Layer',
  'controls.head': 'Head',
  'controls.aggregation': 'Aggregation',
  'controls.received': 'Attention received',
  'controls.hideSpecial': 'Hide special tokens',
  'aggregation.head': 'Single head',
  'aggregation.mean': 'Mean over heads',
  'aggregation.max': 'Max over heads',
  'aggregation.rollout': 'Attention rollout across layers',
  'option.layer': 'Layer {0}',
  'option.head': 'Head {0}',
  'progress.receiving': 'Receiving layer {0} of {1}…',
  'progress.label': 'Attention layers received',
  'strip.title': 'Tokens',
  'strip.hint.paid': 'Hover or arrow to a token to tint the tokens it attends to; Enter or click locks, Esc unlocks.',
  'strip.hint.received': 'Hover or arrow to a token to tint the tokens that attend to it; Enter or click locks, Esc unlocks.',
  'strip.locked': 'Locked on “{0}”: Esc or click it again to unlock.',
  'matrix.title': 'Attention matrix',
  'matrix.caption.head': 'Layer {0}, head {1}',
  'matrix.caption.mean': 'Layer {0}, mean over heads',
  'matrix.caption.max': 'Layer {0}, max over heads',
  'matrix.caption.rollout': 'Rollout through layers 0–{0}',
  'matrix.axes': 'Rows: query (the token looking) · columns: key (the token looked at)',
  'matrix.renormalised': 'Special tokens hidden: rows renormalised to sum to 1.',
  'matrix.causal': 'Hatched: masked, a causal model cannot attend to later tokens.',
  'matrix.scale': 'Colour scale from 0 to {0}',
  'matrix.masked': 'masked',
  'matrix.waitingLayer': 'Waiting for layer {0}…',
  'matrix.computingRollout': 'Computing the rollout…',
  'matrix.label': 'Attention matrix, {0} tokens. Arrow keys move between cells, Enter locks the query token.',
  'heads.title': 'Head view',
  'heads.caption': 'Layer {0}: line opacity is the attention weight, one colour per head.',
  'heads.thinned': 'Weak lines left out; hover a token to see all of its lines.',
  'heads.toggles': 'Heads shown',
  'heads.label': 'Head view: queries on the left, keys on the right. Up and down arrows move between tokens, Enter locks.',
  'heads.noneShown': 'No heads shown: turn one on above.',
  'model.title': 'Model view',
  'model.caption': 'Every layer (rows) and head (columns): click one to show it in the other views.',
  'model.label': 'Model view, {0} layers by {1} heads. Arrow keys pick a layer and head.',
  'model.cell': 'Layer {0}, head {1}',
  'export.button': 'Export',
  'export.matrix': 'Matrix as PNG…',
  'export.heads': 'Head view as PNG…',
  'export.model': 'Model view as PNG…',
  'export.report': 'Report as JSON…',
  'notebook.summary': '{0} · {1} tokens · {2} layers × {3} heads',
  'notebook.invalid': 'This Attention Lens output could not be shown: {0}',
} as const;

export type StringKey = keyof typeof en;

const es: Partial<Record<StringKey, string>> = {
  'app.waiting': 'Seleccione texto y ejecute «Attention Lens: Inspeccionar selección» para ver su atención.',
  'controls.label': 'Opciones de la vista de atención',
  'controls.layer': 'Capa',
  'controls.head': 'Cabeza',
  'controls.aggregation': 'Agregación',
  'controls.received': 'Atención recibida',
  'controls.hideSpecial': 'Ocultar tokens especiales',
  'aggregation.head': 'Una sola cabeza',
  'aggregation.mean': 'Media de las cabezas',
  'aggregation.max': 'Máximo de las cabezas',
  'aggregation.rollout': 'Rollout de atención entre capas',
  'option.layer': 'Capa {0}',
  'option.head': 'Cabeza {0}',
  'progress.receiving': 'Recibiendo la capa {0} de {1}…',
  'progress.label': 'Capas de atención recibidas',
  'strip.title': 'Tokens',
  'strip.hint.paid': 'Pase el ratón o las flechas por un token para teñir los tokens a los que atiende; Intro o un clic lo fija, Esc lo suelta.',
  'strip.hint.received': 'Pase el ratón o las flechas por un token para teñir los tokens que lo atienden; Intro o un clic lo fija, Esc lo suelta.',
  'strip.locked': 'Fijado en «{0}»: Esc o un nuevo clic lo suelta.',
  'matrix.title': 'Matriz de atención',
  'matrix.caption.head': 'Capa {0}, cabeza {1}',
  'matrix.caption.mean': 'Capa {0}, media de las cabezas',
  'matrix.caption.max': 'Capa {0}, máximo de las cabezas',
  'matrix.caption.rollout': 'Rollout de las capas 0–{0}',
  'matrix.axes': 'Filas: consulta (el token que mira) · columnas: clave (el token mirado)',
  'matrix.renormalised': 'Tokens especiales ocultos: filas renormalizadas para sumar 1.',
  'matrix.causal': 'Rayado: enmascarado, un modelo causal no puede atender a tokens posteriores.',
  'matrix.scale': 'Escala de color de 0 a {0}',
  'matrix.masked': 'enmascarado',
  'matrix.waitingLayer': 'Esperando la capa {0}…',
  'matrix.computingRollout': 'Calculando el rollout…',
  'matrix.label': 'Matriz de atención, {0} tokens. Las flechas recorren las celdas, Intro fija el token de consulta.',
  'heads.title': 'Vista de cabezas',
  'heads.caption': 'Capa {0}: la opacidad de cada línea es el peso de atención, un color por cabeza.',
  'heads.thinned': 'Se omiten las líneas débiles; pase el ratón por un token para ver todas las suyas.',
  'heads.toggles': 'Cabezas visibles',
  'heads.label': 'Vista de cabezas: consultas a la izquierda, claves a la derecha. Las flechas arriba y abajo recorren los tokens, Intro fija.',
  'heads.noneShown': 'No hay cabezas visibles: active alguna arriba.',
  'model.title': 'Vista del modelo',
  'model.caption': 'Todas las capas (filas) y cabezas (columnas): haga clic en una para verla en las demás vistas.',
  'model.label': 'Vista del modelo, {0} capas por {1} cabezas. Las flechas eligen capa y cabeza.',
  'model.cell': 'Capa {0}, cabeza {1}',
  'export.button': 'Exportar',
  'export.matrix': 'Matriz como PNG…',
  'export.heads': 'Vista de cabezas como PNG…',
  'export.model': 'Vista del modelo como PNG…',
  'export.report': 'Informe como JSON…',
  'notebook.summary': '{0} · {1} tokens · {2} capas × {3} cabezas',
  'notebook.invalid': 'No se pudo mostrar esta salida de Attention Lens: {0}',
};

const tables: Record<string, Partial<Record<StringKey, string>>> = { en, es };

/** Looks up UI text; `{0}`, `{1}`… in the text are replaced by the arguments. */
export type Translate = (key: StringKey, ...args: (string | number)[]) => string;

/** The table a VS Code locale such as 'es' or 'es-419' uses: 'es', or 'en' for any locale without one. */
export function resolveLocale(locale = 'en'): string {
  const lower = locale.toLowerCase();
  return lower in tables ? lower : lower.split('-')[0] in tables ? lower.split('-')[0] : 'en';
}

/** The lookup for a VS Code locale; unknown locales get English. */
export function translator(locale = 'en'): Translate {
  const table = tables[resolveLocale(locale)];
  return (key, ...args) => {
    const text = table[key] ?? en[key];
    return args.length === 0 ? text : text.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
  };
}
