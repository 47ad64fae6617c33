#!/usr/bin/env node
// Lays out the Lambda layer asset for one platform: the face models plus the native modules the
// bundles leave external (onnxruntime-node, sharp), fetched from the registry at the exact versions
// and integrity hashes of package-lock.json, so the layer runs the code the tests ran.
//
//   build/layer-asset/linux-arm64/          the layer root (Lambda mounts it at /opt)
//     models/*.onnx                         -> /opt/models (config MODEL_DIR default)
//     nodejs/node_modules/{onnxruntime-node,sharp,@img/...}
//                                           -> /opt/nodejs/node_modules (on Lambda's NODE_PATH)
//
//   node layers/models/native.mjs                 linux arm64 (the stack's default)
//   node layers/models/native.mjs --arch x64      linux x64 (LocalStack on an x86 appliance)
//   node layers/models/native.mjs --arch host     this machine's CPU (the bundle test runs on it)
//   node layers/models/native.mjs --arch arm64 --arch host   both, the shared packages fetched once
//   node layers/models/native.mjs --print-dir     only print the asset folder(s) for --arch
//
// A second run with the same inputs is a no-op (stamp file). Prints the unzipped size; Lambda allows
// 250 MB for a function and all its layers, unzipped.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
// --arch may be given more than once (or as a comma list): the packages they share are fetched once.
const wanted = argv.flatMap((a, i) => (argv[i - 1] === '--arch' ? a.split(',') : []));
// `host`: this machine's CPU, for running the bundles in tests as Lambda would.
const arches = [
  ...new Set((wanted.length ? wanted : ['arm64']).map((a) => (a === 'host' ? process.arch : a))),
];
for (const a of arches) if (!['arm64', 'x64'].includes(a)) fail(`unsupported --arch ${a} (arm64 or x64)`);

const assetDirOf = (arch) => join(root, 'build/layer-asset', `linux-${arch}`);
if (argv.includes('--print-dir')) {
  for (const a of arches) console.log(assetDirOf(a));
  process.exit(0);
}
const modelsSrc = join(root, 'build/layer/opt/models');

/** Runtime packages only: what `require('onnxruntime-node')` and `require('sharp')` load on Linux. */
const packagesFor = (arch) => [
  'onnxruntime-node',
  'onnxruntime-common',
  'sharp',
  '@img/colour',
  'detect-libc',
  'semver',
  `@img/sharp-linux-${arch}`,
  `@img/sharp-libvips-linux-${arch}`,
];

/** Files Lambda never loads: sources, docs, install scripts, other platforms' binaries. */
function prune(dir, name, arch) {
  const drop = ['README.md', 'CHANGELOG.md', 'docs', 'test'];
  // onnxruntime-node's lib/ is TypeScript source and script/ its installer; sharp's lib/ is type
  // declarations, src/ C++ sources, install/ a build-from-source helper. Everyone else's lib/ is code.
  if (name === 'onnxruntime-node') drop.push('lib', 'script');
  if (name === 'sharp') drop.push('lib', 'src', 'install');
  if (name === 'onnxruntime-node') {
    const bin = join(dir, 'bin/napi-v6');
    for (const platform of readdirSync(bin)) {
      if (platform !== 'linux') rmSync(join(bin, platform), { recursive: true, force: true });
    }
    for (const a of readdirSync(join(bin, 'linux'))) {
      if (a !== arch) rmSync(join(bin, 'linux', a), { recursive: true, force: true });
    }
    // GPU execution providers are separate shared objects; Lambda has no GPU.
    for (const f of readdirSync(join(bin, 'linux', arch))) {
      if (/cuda|tensorrt|providers_shared/i.test(f)) rmSync(join(bin, 'linux', arch, f));
    }
  }
  for (const d of drop) rmSync(join(dir, d), { recursive: true, force: true });
  walk(dir, (p) => {
    if (/\.(d\.[cm]?ts|map)$/.test(p)) rmSync(p);
  });
}

function walk(dir, visit) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, visit);
    else visit(p);
  }
}

function fail(message) {
  console.error(`\n[layer] ERROR: ${message}\n`);
  process.exit(1);
}

function lockEntry(name) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const entry = lock.packages[`node_modules/${name}`];
  if (entry?.version && entry?.integrity) return { version: entry.version, integrity: entry.integrity };
  fail(`${name} is not pinned in package-lock.json (run npm install)`);
}

function sizeOf(dir) {
  let total = 0;
  walk(dir, (p) => (total += statSync(p).size));
  return total;
}

/**
 * What tar writes of a package for `arch`: onnxruntime-node ships every platform's binaries (~90% of
 * its tarball), so the others are skipped as they are read instead of written and deleted.
 */
function keep(name, arch) {
  if (name !== 'onnxruntime-node') return () => true;
  const own = `package/bin/napi-v6/linux/${arch}/`;
  return (path) => !path.startsWith('package/bin/napi-v6/') || own.startsWith(path) || path.startsWith(own);
}

if (!existsSync(join(modelsSrc, 'fr_detect.onnx'))) fail('models missing: run npm run build:models first');
const modelStamp = readFileSync(join(modelsSrc, '.stamp.json'), 'utf8');
const script = readFileSync(fileURLToPath(import.meta.url), 'utf8');

const plans = arches.map((arch) => {
  const pins = packagesFor(arch).map((name) => ({ name, ...lockEntry(name) }));
  const want = JSON.stringify({ arch, pins, modelStamp, script });
  const stampPath = join(assetDirOf(arch), '..', `.linux-${arch}.stamp`);
  const current =
    existsSync(stampPath) && readFileSync(stampPath, 'utf8') === want && existsSync(assetDirOf(arch));
  if (current) {
    console.log(
      `[layer] ${assetDirOf(arch)} is up to date (${(sizeOf(assetDirOf(arch)) / 1e6).toFixed(1)} MB unzipped)`,
    );
  }
  return { arch, pins, want, stampPath, current };
});
const todo = plans.filter((p) => !p.current);
if (todo.length === 0) process.exit(0);

const tmp = mkdtempSync(join(tmpdir(), 'sophon-layer-'));
try {
  // Every tarball in one `npm pack` (npm's start-up is a second each), each verified before use.
  const specs = [...new Set(todo.flatMap((p) => p.pins.map((pin) => `${pin.name}@${pin.version}`)))];
  const packed = JSON.parse(
    execFileSync('npm', ['pack', ...specs, '--json', '--silent', '--pack-destination', tmp], {
      cwd: tmp,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    }),
  );
  const tarball = new Map(packed.map((p) => [`${p.name}@${p.version}`, join(tmp, p.filename)]));
  const verified = new Set();
  for (const pin of todo.flatMap((p) => p.pins)) {
    const key = `${pin.name}@${pin.version}`;
    if (verified.has(key)) continue;
    const tgz = tarball.get(key);
    if (!tgz || !existsSync(tgz)) fail(`npm pack did not fetch ${key}`);
    const got = 'sha512-' + createHash('sha512').update(readFileSync(tgz)).digest('base64');
    if (got !== pin.integrity) fail(`hash mismatch for ${key}: expected ${pin.integrity}`);
    verified.add(key);
  }

  for (const { arch, pins, want, stampPath } of todo) {
    const assetDir = assetDirOf(arch);
    const staging = join(tmp, `asset-${arch}`);
    const nm = join(staging, 'nodejs/node_modules');
    mkdirSync(nm, { recursive: true });
    for (const pin of pins) {
      const dest = join(nm, pin.name);
      mkdirSync(dest, { recursive: true });
      const filter = keep(pin.name, arch);
      await tar.x({ file: tarball.get(`${pin.name}@${pin.version}`), cwd: dest, strip: 1, filter });
      prune(dest, pin.name, arch);
    }
    mkdirSync(join(staging, 'models'));
    for (const f of readdirSync(modelsSrc).filter((n) => n.endsWith('.onnx'))) {
      cpSync(join(modelsSrc, f), join(staging, 'models', f));
    }
    rmSync(assetDir, { recursive: true, force: true });
    mkdirSync(dirname(assetDir), { recursive: true });
    try {
      renameSync(staging, assetDir);
    } catch {
      cpSync(staging, assetDir, { recursive: true });
    }
    writeFileSync(stampPath, want);
    const mb = (d) => (sizeOf(d) / 1e6).toFixed(1);
    console.log(
      `[layer] linux-${arch}: ${mb(assetDir)} MB unzipped ` +
        `(models ${mb(join(assetDir, 'models'))} MB, node_modules ${mb(join(assetDir, 'nodejs'))} MB) in ${assetDir}`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
