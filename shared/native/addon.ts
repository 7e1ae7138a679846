// Loads the C++ addon built by cmake-js. PVG_NATIVE_BUILD=build-asan|build-tsan picks a
// sanitizer build (the process then needs the sanitizer runtime preloaded).
import { createRequire } from 'node:module';
import path from 'node:path';

import { packageRoot } from '../package-root.js';
import type { NativeAddon } from './types.js';

export type { NativeAddon } from './types.js';

const require = createRequire(import.meta.url);

function load(): NativeAddon {
  const buildDir = process.env.PVG_NATIVE_BUILD ?? 'build';
  const file = path.join(packageRoot, buildDir, 'Release', 'pvg_native.node');
  try {
    return require(file) as NativeAddon;
  } catch (err) {
    throw new Error(`pvg-vmm: cannot load the native addon ${file} (run "npm install" or "npm run build:native"): ${(err as Error).message}`);
  }
}

export const native: NativeAddon = load();
