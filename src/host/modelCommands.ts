// The commands about models: choosing one, the Hugging Face token, and removing downloads.
import * as vscode from 'vscode';
import { SET_TOKEN_COMMAND } from './huggingFaceToken';
import { ModelPicker } from './modelPicker';
import { ModelSource, SELECT_MODEL_COMMAND, useModelSource } from './modelSource';
import { RecentModels } from './recentModels';
import { REMOVE_MODELS_COMMAND, removeDownloadedModels } from './removeModels';

export { SELECT_MODEL_COMMAND };

/**
 * The picker's rows (`PickerRows`): of the picker on screen, else of the one that would open. Not
 * contributed to the palette: it is for the integration tests, which drive the picker with the
 * workbench's quick-open commands, and for extensions that want to offer the same choices.
 */
export const PICKER_ROWS_COMMAND = 'attentionLens.modelPickerRows';

/**
 * Sets up the model source (modelSource()) and registers the model commands;
 * `attentionLens.selectModel` is what a status bar item should run.
 */
export function registerModelCommands(context: vscode.ExtensionContext): vscode.Disposable[] {
  const models = new ModelSource(context);
  useModelSource(models);
  const picker = new ModelPicker(models, new RecentModels(context.globalState));
  return [
    { dispose: () => useModelSource(undefined) },
    vscode.commands.registerCommand(SELECT_MODEL_COMMAND, () => picker.run()),
    vscode.commands.registerCommand(PICKER_ROWS_COMMAND, () => picker.rows()),
    vscode.commands.registerCommand(SET_TOKEN_COMMAND, () => models.token.prompt()),
    vscode.commands.registerCommand(REMOVE_MODELS_COMMAND, (ids?: string[]) => removeDownloadedModels(models, ids)),
  ];
}
