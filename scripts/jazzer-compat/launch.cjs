// Runs Jazzer.js's command line with its fuzzer addon taken from a given file instead of its
// prebuilds folder (a copy made loadable here, see weaken-versions.mjs): the addon is loaded first
// and put into the module cache under the prebuild's name, where @jazzer.js/fuzzer requires it.
//   node launch.cjs ADDON JAZZER_ARGS...
'use strict';
const Module = require('node:module');

const [addon, ...args] = process.argv.slice(2);
const prebuild = require.resolve(`@jazzer.js/fuzzer/prebuilds/fuzzer-${process.platform}-${process.arch}.node`, { paths: [process.cwd()] });
const loaded = new Module(prebuild);
loaded.filename = prebuild;
process.dlopen(loaded, addon);
loaded.loaded = true;
require.cache[prebuild] = loaded;
process.argv = [process.argv[0], 'jazzer', ...args];
require(require.resolve('@jazzer.js/core/dist/cli.js', { paths: [process.cwd()] }));
