/**
 * ROS 2 name resolution (design article "Topic and Service name mapping to DDS"): absolute
 * names stay, relative names go under the node's namespace, "~" names under the node itself.
 * Both transports resolve through here so a node sees the same topic names in-process and on ROS.
 */

const TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(kind: string, name: string, why: string): Error {
  return new Error(`invalid ${kind} '${name}': ${why}`);
}

/** Checks the "/"-separated tokens of a name that has no leading "/" or "~" left. */
function checkTokens(kind: string, name: string, body: string): void {
  if (body.includes('//')) throw invalid(kind, name, "must not contain '//'");
  if (body.endsWith('/')) throw invalid(kind, name, "must not end with '/'");
  for (const token of body.split('/')) {
    if (token === '') throw invalid(kind, name, 'must not contain an empty token');
    if (/^[0-9]/.test(token)) throw invalid(kind, name, `token '${token}' must not start with a digit`);
    if (!TOKEN.test(token)) {
      const bad = [...token].find((c) => !/[A-Za-z0-9_]/.test(c));
      throw invalid(kind, name, `contains invalid character '${bad}' (allowed: A-Z a-z 0-9 _ and '/')`);
    }
  }
}

/** A node name is one token: no namespace separators, no "~". */
export function validateNodeName(name: string): void {
  if (name === '') throw invalid('node name', name, 'must not be empty');
  if (name.includes('/')) throw invalid('node name', name, "must not contain '/' (use the namespace option)");
  checkTokens('node name', name, name);
}

/** "" and "/" are the root namespace; "robot" is taken as "/robot" (as rclcpp does). Returns "/..." form. */
export function normalizeNamespace(namespace: string): string {
  if (namespace === '' || namespace === '/') return '/';
  const body = namespace.startsWith('/') ? namespace.slice(1) : namespace;
  if (body.startsWith('~')) throw invalid('namespace', namespace, "'~' is not allowed in a namespace");
  checkTokens('namespace', namespace, body);
  return `/${body}`;
}

/** "/ns/node", or "/node" in the root namespace: the name that must be unique on a graph. */
export function fullyQualifiedNodeName(nodeName: string, namespace: string): string {
  validateNodeName(nodeName);
  const ns = normalizeNamespace(namespace);
  return ns === '/' ? `/${nodeName}` : `${ns}/${nodeName}`;
}

/**
 * Resolves a topic name for a node: "/x" stays, "x" becomes "<ns>/x", "~/x" becomes "<ns>/<node>/x".
 * Throws an Error naming the bad name and the rule it breaks.
 */
export function resolveTopicName(topic: string, nodeName: string, namespace: string): string {
  if (topic === '') throw invalid('topic name', topic, 'must not be empty');
  const nodeFqn = fullyQualifiedNodeName(nodeName, namespace);
  const ns = normalizeNamespace(namespace);
  let resolved: string;
  if (topic === '~') resolved = nodeFqn;
  else if (topic.startsWith('~/')) resolved = `${nodeFqn}/${topic.slice(2)}`;
  else if (topic.startsWith('~')) throw invalid('topic name', topic, "'~' must be followed by '/'");
  else if (topic.startsWith('/')) resolved = topic;
  else resolved = ns === '/' ? `/${topic}` : `${ns}/${topic}`;
  if (resolved.indexOf('~') >= 0) {
    throw invalid('topic name', topic, "'~' is only allowed at the start, as '~' or '~/...'");
  }
  if (resolved === '/') throw invalid('topic name', topic, "must not end with '/'");
  // Report errors against the name the caller wrote, not the expanded one.
  checkTokens('topic name', topic, resolved.slice(1));
  return resolved;
}
