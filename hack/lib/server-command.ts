/**
 * How the built server is run, the one definition for everything here that starts it (the tests, `npm run local`,
 * the benchmark); the image's CMD and `npm start` say the same, and test/integration/server-command.test.ts keeps
 * them equal.
 */
import { fileURLToPath } from 'node:url';

/** The bundle `npm run build` writes (hack/build.ts). */
export const serverEntry = fileURLToPath(new URL('../../dist/server.js', import.meta.url));

/**
 * Node's flags for it. DEP0169: ioredis reads REDIS_URL with `url.parse()`, which Node warns about once per process,
 * but only for code outside node_modules, and the bundle is outside it. The warning is about ioredis's parser,
 * which has been the same all along (unbundled, Node kept quiet); this flag silences that one warning and no other.
 */
export const serverNodeFlags: readonly string[] = ['--disable-warning=DEP0169'];
