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
//   node layers/models/native.mjs --print-dir     only print the asset folder for --arch
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
const archIdx = argv.indexOf('--arch');
const wanted = archIdx >= 0 ? argv[archIdx + 1] : 'arm64';
// `host`: this machine's CPU, for running the bundles in tests as Lambda would.
const arch = wanted === 'host' ? process.arch : wanted;
if (!['arm64', 'x64'].includes(arch)) fail(`unsupported --arch ${arch} (arm64 or x64)`);

const assetDir = join(root, 'build/layer-asset', `linux-${arch}`);
if (argv.includes('--print-dir')) {
  console.log(assetDir);
  process.exit(0);
}
const modelsSrc = join(root, 'build/layer/opt/models');

/** Runtime packages only: what `require('onnxruntime-node')` and `require('sharp')` load on Linux. */
const PACKAGES = [
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
function prune(dir, name) {
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

const pins = PACKAGES.map((name) => ({ name, ...lockEntry(name) }));
if (!existsSync(join(modelsSrc, 'fr_detect.onnx'))) fail('models missing: run npm run build:models first');
const modelStamp = readFileSync(join(modelsSrc, '.stamp.json'), 'utf8');
const want = JSON.stringify({
  arch,
  pins,
  modelStamp,
  script: readFileSync(fileURLToPath(import.meta.url), 'utf8'),
});
const stampPath = join(assetDir, '..', `.linux-${arch}.stamp`);

if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === want && existsSync(assetDir)) {
  console.log(`[layer] ${assetDir} is up to date (${(sizeOf(assetDir) / 1e6).toFixed(1)} MB unzipped)`);
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), 'sophon-layer-'));
try {
  const staging = join(tmp, 'asset');
  const nm = join(staging, 'nodejs/node_modules');
  mkdirSync(nm, { recursive: true });
  for (const pin of pins) {
    const out = execFileSync(
      'npm',
      ['pack', `${pin.name}@${pin.version}`, '--silent', '--pack-destination', tmp],
      {
        cwd: tmp,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const tgz = join(tmp, out.trim().split('\n').pop());
    const got = 'sha512-' + createHash('sha512').update(readFileSync(tgz)).digest('base64');
    if (got !== pin.integrity)
      fail(`hash mismatch for ${pin.name}@${pin.version}: expected ${pin.integrity}`);
    const dest = join(nm, pin.name);
    mkdirSync(dest, { recursive: true });
    await tar.x({ file: tgz, cwd: dest, strip: 1 });
    rmSync(tgz);
    prune(dest, pin.name);
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
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
