/**
 * A parsed YAML config file that remembers where every value came from, so that schema issues
 * and later cross-checks can be reported at the exact line and column of the offending node.
 */
import { readFileSync } from 'node:fs';
import type { Document, Node, Pair } from 'yaml';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';
import { ConfigError } from './config-error.js';
import { checkSchema } from './schema-check.js';

/** A problem to report at `path`; with `atKey` the position is that of the mapping key itself. */
export interface IssueAt {
  path: (string | number)[];
  message: string;
  atKey?: boolean;
}

export class YamlSource {
  private constructor(
    readonly file: string,
    /** The document as plain JavaScript values (mappings become objects). */
    readonly data: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Reads and parses `file`; an unreadable file is a ConfigError carrying the OS reason. */
  static read(file: string): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ConfigError(file, [{ path: [], message: `cannot read file: ${reason}` }]);
    }
    return YamlSource.parse(text, file);
  }

  /** Parses `text` (named `file` in messages); syntax errors and duplicate keys are ConfigErrors. */
  static parse(text: string, file: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        file,
        doc.errors.map((e) => {
          const duplicate = e.code === 'DUPLICATE_KEY' ? keyAt(doc.contents, e.pos[0], []) : undefined;
          return {
            path: duplicate?.path ?? [],
            message: duplicate
              ? `duplicate key ${JSON.stringify(duplicate.key)} (a key may appear only once in a mapping)`
              : `YAML syntax error: ${e.message}`,
            ...position(lines, e.pos[0]),
          };
        }),
      );
    }
    if (doc.contents === null)
      throw new ConfigError(file, [{ path: [], message: 'file is empty (expected a YAML mapping)' }]);
    let data: unknown;
    try {
      // toJS resolves aliases and refuses alias bombs (maxAliasCount).
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ConfigError(file, [{ path: [], message: `invalid YAML: ${reason}` }]);
    }
    return new YamlSource(file, data, doc, lines);
  }

  /** Validates the data against `schema`; every issue is reported with its line and column. */
  validate<S extends z.ZodType>(schema: S): z.output<S> {
    const result = checkSchema(schema, this.data);
    if (result.ok) return result.value;
    throw this.error(result.issues);
  }

  /** A ConfigError for this file with each issue located in the document, sorted by position. */
  error(issues: IssueAt[]): ConfigError {
    const located = issues.map((i): ConfigIssue => ({ path: i.path, message: i.message, ...this.locate(i) }));
    // Unlocated issues go last (Infinity - Infinity is NaN, which falls through to the column).
    const byPosition = (a: ConfigIssue, b: ConfigIssue) =>
      (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
    return new ConfigError(this.file, located.sort(byPosition));
  }

  /**
   * Where `path` is in the document. A missing key points at its parent mapping; a block
   * mapping or list points at the key that names it, which is where a reader looks for it.
   */
  locate(issue: Pick<IssueAt, 'path' | 'atKey'>): { line?: number; column?: number } {
    let node: unknown = this.doc.contents;
    let key: Node | undefined;
    for (const segment of issue.path) {
      const next = this.child(node, segment);
      if (!next) return this.at(node, key);
      ({ node, key } = next);
    }
    if (issue.atKey && key) return this.at(key, undefined);
    return this.at(node, key);
  }

  private child(parent: unknown, segment: string | number): { node: unknown; key?: Node } | undefined {
    const resolved = isAlias(parent) ? parent.resolve(this.doc) : parent;
    if (isSeq(resolved) && typeof segment === 'number') {
      const item: unknown = resolved.items[segment];
      return item === undefined ? undefined : { node: item };
    }
    if (isMap(resolved)) {
      const pair = resolved.items.find(
        (p: Pair) => isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (pair) return { node: pair.value, key: isNode(pair.key) ? pair.key : undefined };
    }
    return undefined;
  }

  private at(node: unknown, key: Node | undefined): { line?: number; column?: number } {
    const blockCollection = (isMap(node) || isSeq(node)) && !node.flow;
    const empty = !isNode(node) || (isScalar(node) && node.value === null && node.source === '');
    const target = key && (blockCollection || empty) ? key : node;
    if (isNode(target) && target.range) return position(this.lines, target.range[0]);
    return {};
  }
}

function position(lines: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** The mapping key starting at `offset` and its path, to name a duplicate key in full. */
function keyAt(
  node: unknown,
  offset: number,
  path: (string | number)[],
): { key: string; path: (string | number)[] } | undefined {
  if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const found = keyAt(item, offset, [...path, i]);
      if (found) return found;
    }
  } else if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (isNode(pair.key) && pair.key.range?.[0] === offset) return { key, path: [...path, key] };
      const found = keyAt(pair.value, offset, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}
