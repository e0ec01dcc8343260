/** The message of anything thrown: callbacks may throw non-Errors, and logs need one line. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
