/** `mbrl model info DIR`: load a model artifact (verifying it) and print its card. */
import type { Command } from 'commander';
import { loadEnsemble } from '../models/ensemble-artifact.js';
import { initTfBackend } from '../models/tf-backend.js';

export function registerModelCommand(program: Command): void {
  const model = program.command('model').description('learned dynamics model artifacts');
  model
    .command('info <dir>')
    .description('verify a model artifact (checksums, shapes) and print its spec and card as JSON')
    .action(async (dir: string) => {
      await initTfBackend({ log: () => undefined });
      const { dynamics, card } = await loadEnsemble(dir);
      process.stdout.write(JSON.stringify({ spec: dynamics.spec, card }, null, 2) + '\n');
      dynamics.dispose();
    });
}
