import { buildEngine } from '../../jsonnet/engine.mjs';

/**
 * vitest global setup of the `unit` project: builds the mixin's jsonnet engine (go-jsonnet's
 * jsonnet, jsonnetfmt and jsonnet-lint, from Go modules) once, before the test files that
 * render or lint the mixin start in parallel workers. A cached build costs a hash and prints
 * nothing; a first one says so and shows progress. Without Go the run fails here, saying so.
 */
export default async function setup(): Promise<void> {
  await buildEngine();
}
