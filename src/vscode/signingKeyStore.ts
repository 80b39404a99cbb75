// The link signing key in VS Code's SecretStorage: made on first use, never written to settings.
import type * as vscode from 'vscode';
import { decodeSigningKey, encodeSigningKey, generateSigningKey } from '../server/signingKey';

const SECRET_NAME = 'linkTracking.signingKey';

export class SigningKeyStore {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The key, generated and stored the first time it is needed. */
  async get(): Promise<Buffer> {
    const stored = await this.secrets.get(SECRET_NAME);
    if (stored) {
      return decodeSigningKey(stored, 'the stored link signing key');
    }
    const key = generateSigningKey();
    await this.set(key);
    this.log.info('Made a new link signing key (kept in VS Code secret storage)');
    return key;
  }

  async set(key: Buffer): Promise<void> {
    await this.secrets.store(SECRET_NAME, encodeSigningKey(key));
  }
}
