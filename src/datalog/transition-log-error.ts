/**
 * A transition log that cannot be read: `<file>: <where>: <field>: <message>` on one line. It is a
 * RangeError because it is bad input (the CLI prints it alone and exits with code 2).
 */
export class TransitionLogError extends RangeError {
  override readonly name = 'TransitionLogError';
  readonly file: string;

  /** `where` is e.g. `message 12` or `byte 4096`; `field` a path such as `state[2]`. */
  constructor(file: string, message: string, where?: string, field?: string) {
    super([file, where, field, message].filter((part) => part !== undefined).join(': '));
    this.file = file;
  }
}
