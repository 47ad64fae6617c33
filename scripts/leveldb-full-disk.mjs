/**
 * What LevelDB (classic-level, under dynalite) does on a real full disk, and after space returns
 * (docs/store.md, "Local storage and its disk"). Needs a user namespace to mount a 20 MB tmpfs:
 *
 *   unshare -rm sh -c 'd=$(mktemp -d) && mount -t tmpfs -o size=20m tmpfs "$d" && node scripts/leveldb-full-disk.mjs "$d"'
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/leveldb-full-disk.mjs <dir on a small filesystem>');
writeFileSync(join(dir, 'filler'), Buffer.alloc(8 << 20));
const attempt = async (what, fn) => {
  try {
    await fn();
    console.log(`${what}: ok`);
  } catch (err) {
    console.log(`${what}: ${err.code} ${err.message}`);
  }
};
let db = new ClassicLevel(join(dir, 'db'), { valueEncoding: 'json' });
const big = randomBytes(37_000).toString('base64'); // incompressible: tables take real space
let n = 0;
for (; n < 2000; n++) {
  try {
    await db.put(`k${n}`, big);
  } catch (err) {
    console.log(`write ${n + 1} of ~50 KB: ${err.code} ${err.message}`);
    break;
  }
}
await attempt('a small write after it', () => db.put('small', 1));
await attempt('a read', () => db.get('k1'));
rmSync(join(dir, 'filler'));
console.log('filler deleted: 8 MB free again');
await attempt('a small write, same database', () => db.put('small', 1));
await db.close();
db = new ClassicLevel(join(dir, 'db'), { valueEncoding: 'json' });
await attempt('reopened: a small write', () => db.put('small', 1));
const kept = (await db.getMany(Array.from({ length: n }, (_, i) => `k${i}`))).filter(Boolean).length;
console.log(`reopened: ${kept} of the ${n} acknowledged values there`);
await db.close();
