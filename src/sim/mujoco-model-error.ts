/** A MuJoCo model that could not be loaded or does not have what the task needs. */
export class MujocoModelError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'MujocoModelError';
  }
}
