// Module resolve hook (see mbrl_resolve.mjs): a bare specifier that is not found from the
// importing module is retried as if imported from beside $MBRL_NODE_MODULES.
let fallbackParentURL;

export async function initialize(data) {
  fallbackParentURL = data?.parentURL;
}

function isBare(specifier) {
  return !/^(\.{0,2}\/|[a-zA-Z][a-zA-Z0-9+.-]*:|#)/.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!fallbackParentURL || !isBare(specifier) || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return nextResolve(specifier, { ...context, parentURL: fallbackParentURL });
  }
}
