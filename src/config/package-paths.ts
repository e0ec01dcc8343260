/**
 * Locates files shipped with the package (hardware/, ...) independently of the working
 * directory. The same code runs from src/config (sources) and dist/src/config (compiled).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'mbrl-control';

let cachedRoot: string | undefined;

/** The directory holding this package's package.json. */
export function packageRoot(): string {
  cachedRoot ??= findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
  return cachedRoot;
}

/** `<package root>/hardware`: robot, task and simulator descriptions. */
export function hardwareDir(): string {
  return path.join(packageRoot(), 'hardware');
}

/** `<package root>/calibration`: per-robot calibration files. */
export function calibrationDir(): string {
  return path.join(packageRoot(), 'calibration');
}

/** Walks up from `startDir` to the first package.json whose name is mbrl-control. */
export function findPackageRoot(startDir: string): string {
  let dir = path.resolve(startDir);
  for (;;) {
    if (isOurManifest(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json named "${PACKAGE_NAME}" in ${startDir} or above`);
    dir = parent;
  }
}

function isOurManifest(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    const manifest: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return (
      typeof manifest === 'object' &&
      manifest !== null &&
      'name' in manifest &&
      manifest.name === PACKAGE_NAME
    );
  } catch {
    // An unreadable or malformed package.json belongs to someone else; keep walking.
    return false;
  }
}
