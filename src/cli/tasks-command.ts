/** `mbrl tasks`: the shipped tasks with their state and action spaces. */
import type { Command } from 'commander';
import { listTaskNames, loadTask } from '../config/task-loader.js';

export function registerTasksCommand(program: Command): void {
  program
    .command('tasks')
    .description('list the tasks for the embedded simulator, with their state and action spaces')
    .option('--json', 'print JSON instead of a table')
    .action((opts: { json?: boolean }) => {
      const tasks = listTaskNames().map((name) => loadTask(name).task);
      if (opts.json) {
        const rows = tasks.map((t) => ({
          name: t.name,
          description: t.description,
          dt: t.dt,
          episode_steps: t.episode_steps,
          state: t.state.map((s) => s.name),
          action: t.action.map((a) => ({ name: a.name, min: a.min, max: a.max })),
        }));
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      for (const t of tasks) {
        process.stdout.write(`${t.name}  (dt ${t.dt} s, ${t.episode_steps} steps)\n  ${t.description}\n`);
        process.stdout.write(`  state  [${t.state.length}]: ${t.state.map((s) => s.name).join(', ')}\n`);
        process.stdout.write(
          `  action [${t.action.length}]: ${t.action.map((a) => `${a.name} in [${a.min}, ${a.max}]`).join(', ')}\n\n`,
        );
      }
    });
}
