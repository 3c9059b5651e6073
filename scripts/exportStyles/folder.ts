// What every export style shares: where the fixtures are, and the Hugging Face files around the graph.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MODELS_DIR = path.resolve(ROOT, '..', 'shared', 'models');
export const STYLES_DIR = path.join(ROOT, '.cache', 'export-styles');

const HF_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

/** A fixture folder by name. */
export function fixture(name: string): string {
  return path.join(MODELS_DIR, name);
}

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Starts a style's folder afresh with the fixture's config and tokenizer files (never its weights). */
export function startFolder(outDir: string, fixtureName: string): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const file of HF_FILES) {
    const from = path.join(fixture(fixtureName), file);
    if (existsSync(from)) copyFileSync(from, path.join(outDir, file));
  }
}
