/**
 * Load a YAML config file and validate it against a zod schema in one step. Every failure -
 * unreadable file, YAML syntax, schema mismatch - is a ConfigError naming file, line and field.
 */
import type { z } from 'zod';
import { YamlSource } from './yaml-source.js';

/** Parses YAML `text` (reported as `file`) and returns the schema's output, defaults filled in. */
export function parseYamlConfig<S extends z.ZodType>(text: string, file: string, schema: S): z.output<S> {
  return YamlSource.parse(text, file).validate(schema);
}

/** Reads `file` and validates it; see parseYamlConfig. */
export function loadYamlConfig<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  return YamlSource.read(file).validate(schema);
}
