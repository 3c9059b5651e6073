// A model that reads 2,048 tokens at once, for the long-input end-to-end test: the stories260k
// fixture's own checkpoint and tokenizer (linked, never copied) under a config.json whose
// max_position_embeddings is 2048. Its rotary positions work at any length, so nothing else
// changes; without the fixture's ONNX folder the engine builds the graph from the checkpoint.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixturesDir, repoRoot } from './paths';

const SOURCE = path.join(fixturesDir, 'stories260k');
const LINKED = ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];

/** The folder of the 2,048-token variant, created under .cache/ on first use. */
export function longContextModel(context = 2048): string {
  const dir = path.join(repoRoot, '.cache', 'models', `stories260k-${context}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const file of LINKED) {
    const target = path.join(dir, file);
    if (!fs.existsSync(target) && fs.existsSync(path.join(SOURCE, file))) fs.symlinkSync(path.join(SOURCE, file), target);
  }
  const config = JSON.parse(fs.readFileSync(path.join(SOURCE, 'config.json'), 'utf8')) as Record<string, unknown>;
  config.max_position_embeddings = context;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

/** The test workspace's story, one paragraph of prose. */
export function storyParagraph(): string {
  return fs.readFileSync(path.join(repoRoot, 'test', 'harness', 'workspace', 'story.txt'), 'utf8').trim();
}

/** A folder holding one text file, `long-story.txt`: the story paragraph `paragraphs` times. */
export function longTextWorkspace(name: string, paragraphs: number): { folder: string; file: string } {
  const folder = path.join(repoRoot, '.cache', 'workspaces', name);
  fs.mkdirSync(folder, { recursive: true });
  const text = Array.from({ length: paragraphs }, () => storyParagraph()).join('\n\n') + '\n';
  fs.writeFileSync(path.join(folder, 'long-story.txt'), text);
  return { folder, file: 'long-story.txt' };
}
