// Preloaded by the ROS wrappers (node --import): registers mbrl_resolve_hooks.mjs so bare
// imports the installed code cannot resolve (its node_modules is not installed under share/)
// are resolved from $MBRL_NODE_MODULES instead. Worker threads inherit --import.
import { register } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const nodeModules = process.env.MBRL_NODE_MODULES;
if (nodeModules && existsSync(nodeModules)) {
  // A module URL beside node_modules: resolution from it walks into that node_modules.
  const parentURL = pathToFileURL(join(nodeModules, '..', '__mbrl_resolve_parent__.js')).href;
  register('./mbrl_resolve_hooks.mjs', import.meta.url, { data: { parentURL } });
}
