// Next bundles instrumentation.ts (which builds the process's one container, and so its adapters and store) apart
// from the actions and route handlers, and each bundle has its own copy of every module: an error an adapter throws
// is not `instanceof` the copy of its class an action checks against (in a build, ProviderError exists as three
// modules). A brand from the global symbol registry is the same in every copy.

/** The brand of an error class, named once per class: `Symbol.for('quorum.<Name>')`. */
export function errorBrand(name: string): symbol {
  return Symbol.for(`quorum.${name}`);
}

/** Whether `e` is an Error carrying `brand`, whichever bundle's copy of the class made it. */
export function hasErrorBrand(e: unknown, brand: symbol): boolean {
  return e instanceof Error && (e as unknown as Record<symbol, unknown>)[brand] === true;
}
