#!/usr/bin/env node
// Installs the Debian packages the tests (or CI) need when they are missing: `npm test` runs
// this first, so the README's test command passes on a fresh machine. As root with apt-get it
// installs them; elsewhere it names them and fails, rather than letting tests fail later one
// by one. PVG_NO_SYSTEM_INSTALL=1 turns installing off (then it only checks).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const HELP = `usage: node scripts/system-deps.mjs [--for test|ci] [--check]

Checks for the system packages the tests need (--for test, the default: Chromium for the
browser viewer tests, libvncclient and a C compiler for the VNC tests, Mesa's lavapipe, the
Vulkan loader and headers and glslc for the vulkan engine backend) or CI needs (--for ci:
also CMake, Ninja, g++, clang with libFuzzer, clang-format), and installs the missing ones with
apt-get when run as root on Debian or Ubuntu. --check (or PVG_NO_SYSTEM_INSTALL=1) only checks:
exit 1 and the install command when something is missing.`;

/** What a purpose needs: the Debian package, and how to tell it is there. */
const NEEDS = {
  test: [
    { pkg: 'chromium', why: 'the browser viewer tests drive it headless', present: () => isExecutable('/usr/bin/chromium') },
    { pkg: 'libvncserver-dev', why: 'the VNC tests build a libvncclient program', present: () => fs.existsSync('/usr/include/rfb/rfbclient.h') },
    { pkg: 'gcc', why: 'the C compiler that builds that program', present: () => onPath('cc') },
    // The vulkan engine backend's tests run on Mesa's lavapipe (docs/vulkan.md); the addon needs
    // the headers and glslc when it is built (rebuild: installing them rebuilds it).
    { pkg: 'mesa-vulkan-drivers', why: 'lavapipe, the software Vulkan device the vulkan backend tests run on', present: () => hasLavapipe() },
    { pkg: 'libvulkan1', why: 'the Vulkan loader the vulkan backend opens at run time', present: () => hasVulkanLoader() },
    {
      pkg: 'libvulkan-dev',
      why: 'the Vulkan headers the vulkan backend is built with',
      present: () => fs.existsSync('/usr/include/vulkan/vulkan.h'),
      rebuild: true,
    },
    { pkg: 'glslc', why: "compiles the vulkan backend's shaders to SPIR-V at build time", present: () => onPath('glslc'), rebuild: true },
  ],
  ci: [
    { pkg: 'cmake', why: 'builds the native engine', present: () => onPath('cmake') },
    { pkg: 'ninja-build', why: 'builds the native engine', present: () => onPath('ninja') },
    { pkg: 'g++', why: 'builds the native engine', present: () => onPath('g++') },
    { pkg: 'clang', why: 'the fuzz targets (clang with libFuzzer)', present: () => onPath('clang++') },
    { pkg: 'clang-format', why: 'the C++ format check', present: () => onPath('clang-format') },
  ],
};

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasLavapipe() {
  const dir = '/usr/share/vulkan/icd.d';
  return fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.startsWith('lvp_icd'));
}

function hasVulkanLoader() {
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].some((d) => fs.existsSync(`${d}/libvulkan.so.1`));
}

function onPath(command) {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && isExecutable(`${dir}/${command}`));
}

function run(command, args) {
  const r = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

let values;
try {
  values = parseArgs({ options: { for: { type: 'string', default: 'test' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (e) {
  console.error(`system-deps: ${e.message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (values.for !== 'test' && values.for !== 'ci') {
  console.error(`system-deps: --for must be "test" or "ci" (got "${values.for}")`);
  process.exit(2);
}

const wanted = values.for === 'ci' ? [...NEEDS.ci, ...NEEDS.test] : NEEDS.test;
const missing = wanted.filter((n) => !n.present());
if (missing.length === 0) process.exit(0);

const packages = missing.map((n) => n.pkg);
const describe = missing.map((n) => `  - ${n.pkg}: ${n.why}`).join('\n');
const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
const mayInstall = !values.check && process.env.PVG_NO_SYSTEM_INSTALL !== '1' && process.platform === 'linux' && process.getuid?.() === 0 && onPath('apt-get');
if (!mayInstall) {
  const how = process.platform !== 'linux' ? '' : process.getuid?.() !== 0 ? ` As root: ${command}` : ` (${command})`;
  console.error(`system-deps: missing for ${values.for === 'ci' ? 'CI' : 'the tests'}:\n${describe}\nInstall them and run again.${how}`);
  process.exit(1);
}
console.log(`system-deps: installing for ${values.for === 'ci' ? 'CI' : 'the tests'} (apt-get):\n${describe}`);
if (!run('apt-get', ['update', '-qq']) || !run('apt-get', ['install', '-y', '-qq', ...packages])) {
  console.error(`system-deps: apt-get could not install ${packages.join(' ')}`);
  process.exit(1);
}
const still = missing.filter((n) => !n.present());
if (still.length > 0) {
  console.error(`system-deps: installed, but still missing: ${still.map((n) => n.pkg).join(', ')}`);
  process.exit(1);
}
// An addon built before the Vulkan headers or glslc were here has no vulkan backend: build it again.
if (missing.some((n) => n.rebuild) && fs.existsSync(new URL('../build', import.meta.url))) {
  console.log('system-deps: rebuilding the native addon with its vulkan backend');
  if (!run('node', [new URL('./build-native.mjs', import.meta.url).pathname])) process.exit(1);
}
