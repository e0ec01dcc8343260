/**
 * One MuJoCo WebAssembly module per process, loaded on first use. MuJoCo reports model
 * errors on stderr and throws an exception without a message, so stderr is captured and
 * attached to the error we raise.
 */
import type { MainModule } from 'mujoco-js';

export type MujocoModule = MainModule;

let modulePromise: Promise<MujocoModule> | undefined;
const captured: string[] = [];

export function loadMujocoModule(): Promise<MujocoModule> {
  modulePromise ??= (async () => {
    const { default: factory } = await import('mujoco-js');
    return factory({
      print: (text: string) => captured.push(text),
      printErr: (text: string) => captured.push(text),
    });
  })();
  return modulePromise;
}

/** Returns and clears what MuJoCo printed since the last call. */
export function takeMujocoOutput(): string {
  const text = captured.join('\n');
  captured.length = 0;
  return text;
}
