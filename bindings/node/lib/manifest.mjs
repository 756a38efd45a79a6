// manifest.mjs - finds and reads image-generation.ext.json, the file that
// names the shared object and declares every ABI signature the bridge uses.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXTENSION_ID = 'image-generation';
export const SUPPORTED_ABI = 1;

const here = dirname(fileURLToPath(import.meta.url));

// Where a manifest may live, in the order the reference host (host/) searches:
// $AGENTOS_EXTENSIONS_PATH, this repository's build/extensions, the install prefix.
function searchDirs() {
  const fromEnv = (process.env.AGENTOS_EXTENSIONS_PATH || '').split(':').filter(Boolean);
  return [...fromEnv, resolve(here, '../../../build/extensions'),
    '/usr/local/lib/agentos/extensions', '/usr/lib/agentos/extensions'];
}

/** The manifest's path: `explicit` when given, else the first one found. */
export function findManifest(explicit) {
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`manifest ${explicit} does not exist`);
    return resolve(explicit);
  }
  const tried = [];
  for (const dir of searchDirs()) {
    for (const candidate of [join(dir, `${EXTENSION_ID}.ext.json`),
      join(dir, EXTENSION_ID, `${EXTENSION_ID}.ext.json`)]) {
      if (existsSync(candidate)) return candidate;
      tried.push(candidate);
    }
  }
  throw new Error(`extension "${EXTENSION_ID}" not found; looked for its manifest in: ` +
    `${tried.join(', ')}. Build it (bash scripts/main.sh) or set options.manifest.`);
}

/** Reads and checks a manifest: {path, dir, manifest, library} (library absolute). */
export function readManifest(path) {
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  const abi = manifest.abi;
  if (!abi || abi.version !== SUPPORTED_ABI) {
    throw new Error(`${path}: abi.version ${abi?.version} is not the ABI this bridge ` +
      `speaks (${SUPPORTED_ABI})`);
  }
  if (!Array.isArray(abi.symbols) || typeof abi.library !== 'string') {
    throw new Error(`${path}: abi.symbols and abi.library are required`);
  }
  const dir = dirname(path);
  return { path, dir, manifest, library: resolve(dir, abi.library) };
}
