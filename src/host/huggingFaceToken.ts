// The Hugging Face access token for gated and private models. Kept in VS Code's SecretStorage (the
// OS keychain), never in settings, which sync and show in plain text. A token set here wins over
// HF_TOKEN, because it is the one the person chose inside the editor.
import * as vscode from 'vscode';

export const SET_TOKEN_COMMAND = 'attentionLens.setHuggingFaceToken';
const SECRET_KEY = 'attentionLens.huggingFaceToken';

export class HuggingFaceToken {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The token to send: the stored one, else HF_TOKEN, else none. */
  async get(): Promise<string | undefined> {
    const stored = (await this.secrets.get(SECRET_KEY))?.trim();
    return stored || process.env.HF_TOKEN?.trim() || undefined;
  }

  /** Asks for a token and stores it; an empty answer removes the stored one. Returns whether anything changed. */
  async prompt(): Promise<boolean> {
    const hadOne = (await this.secrets.get(SECRET_KEY)) !== undefined;
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('Hugging Face Access Token'),
      prompt: hadOne
        ? vscode.l10n.t('Paste a new token, or leave it empty to forget the stored one. Create tokens at huggingface.co/settings/tokens.')
        : vscode.l10n.t('Paste a token with read access; it is kept in the system keychain. Create tokens at huggingface.co/settings/tokens.'),
      placeHolder: 'hf_…',
      password: true,
      ignoreFocusOut: true,
      validateInput: (text) => {
        const token = text.trim();
        return token === '' || token.startsWith('hf_') ? undefined : vscode.l10n.t('Hugging Face tokens start with "hf_".');
      },
    });
    if (value === undefined) return false;
    const token = value.trim();
    if (token === '') {
      if (!hadOne) return false;
      await this.secrets.delete(SECRET_KEY);
      void vscode.window.showInformationMessage(vscode.l10n.t('The stored Hugging Face token was removed.'));
      return true;
    }
    await this.secrets.store(SECRET_KEY, token);
    void vscode.window.showInformationMessage(vscode.l10n.t('The Hugging Face token was stored; it is used for the next download.'));
    return true;
  }
}
