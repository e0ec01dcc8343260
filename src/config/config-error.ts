/**
 * The one error type for bad configuration. Every problem is reported as
 * `<file>:<line>:<column>: <field.path>: <message>`, one line per issue, so a user can jump
 * straight to the offending line and see what was expected there.
 */

/** One problem in a config file; line and column are 1-based and absent when unknown. */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
  line?: number;
  column?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: ConfigIssue[]) {
    // An error with no issues would print nothing useful; keep at least one line.
    const list = issues.length > 0 ? issues : [{ path: [], message: 'invalid configuration' }];
    super(list.map((issue) => formatIssue(file, issue)).join('\n'));
    this.file = file;
    this.issues = list;
  }
}

function formatIssue(file: string, issue: ConfigIssue): string {
  let where = file;
  if (issue.line !== undefined) {
    where += `:${issue.line}`;
    if (issue.column !== undefined) where += `:${issue.column}`;
  }
  return `${where}: ${formatPath(issue.path)}: ${issue.message}`;
}

/** `a.b[2].c`; keys that are not plain words are quoted (`limits["x.y"]`) so the path stays unambiguous. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
