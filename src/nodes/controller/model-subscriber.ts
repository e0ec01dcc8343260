/**
 * The controller's side of a refit: listens on the latched `model_update` topic, loads each
 * announced artifact off the tick (async I/O), and hands the loaded model to `install`,
 * which swaps it in between ticks (the node's callbacks never interleave with a tick). A
 * malformed announcement or an artifact that fails to load is reported and the serving model
 * stays. Loads are serialised; only the newest pending announcement is loaded.
 */
import { z } from 'zod';
import type { RuntimeNode } from '../../runtime/node-api.js';

const ModelUpdateSchema = z.looseObject({ version: z.int().positive(), dir: z.string().min(1) });
export type ModelUpdate = z.infer<typeof ModelUpdateSchema>;

export interface ModelSubscriberOptions {
  /** Loads and installs the artifact; throwing keeps the serving model. */
  install: (update: ModelUpdate) => Promise<void>;
  topic?: string;
}

export class ModelSubscriber {
  version = 0;
  failures = 0;
  private pending: ModelUpdate | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: ModelSubscriberOptions,
  ) {
    const topic = options.topic ?? 'model_update';
    node.createSubscription('std_msgs/msg/String', topic, (msg) => this.onUpdate(topic, msg.data), {
      qos: 'latched',
    });
  }

  /** Resolves when every announcement received so far has been handled. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private onUpdate(topic: string, text: string): void {
    let parsed: ModelUpdate;
    try {
      const result = ModelUpdateSchema.safeParse(JSON.parse(text));
      if (!result.success) {
        const issue = result.error.issues[0];
        throw new Error(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
      }
      parsed = result.data;
    } catch (error) {
      this.failures++;
      this.node.logger.error(`${topic}: ignored malformed model update: ${(error as Error).message}`);
      return;
    }
    if (parsed.version <= this.version) return;
    this.pending = parsed;
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const update = this.pending;
      this.pending = null;
      try {
        await this.options.install(update);
        this.version = update.version;
        this.node.logger.info(`model v${update.version} in service (${update.dir})`);
      } catch (error) {
        this.failures++;
        this.node.logger.error(
          `model v${update.version} from ${update.dir} not used, v${this.version} stays: ${(error as Error).message}`,
        );
      }
    }
  }
}
