/**
 * s3rver 3.7.1 (the local S3 stand-in, no longer maintained) builds ListObjectsV2 continuation tokens with
 * the DES cipher, which OpenSSL 3 (Node 17+) refuses: every listing past 1,000 objects failed with
 * ERR_OSSL_EVP_UNSUPPORTED (issue 14). Run by `npm install`/`npm ci` (postinstall): it switches the
 * token to AES-128-CBC, which every Node has. The token stays opaque to clients, as S3's is.
 * Idempotent; fails loudly if the file no longer looks as expected.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const file = join(__dirname, '../node_modules/s3rver/lib/controllers/bucket.js');
const MARK = '/* patched by scripts/patch-s3rver.cjs */';
let src = readFileSync(file, 'utf8');
if (src.includes(MARK)) process.exit(0);

const swaps = [
  // generateContinuationToken and decipherContinuationToken: 16-byte key and IV for AES.
  [/Buffer\.alloc\(8, 'S3RVER', 'utf8'\)/g, "Buffer.alloc(16, 'S3RVER', 'utf8')", 2],
  [/crypto\.randomBytes\(8\)/g, 'crypto.randomBytes(16)', 1],
  [/createCipheriv\('des'/g, "createCipheriv('aes-128-cbc'", 1],
  [/createDecipheriv\('des'/g, "createDecipheriv('aes-128-cbc'", 1],
  [/if \(buf\.length < 8\) return '';/g, "if (buf.length < 16) return '';", 1],
  [/buf\.slice\(0, 8\)/g, 'buf.slice(0, 16)', 1],
  [/buf\.slice\(8\)/g, 'buf.slice(16)', 1],
];
for (const [pattern, replacement, count] of swaps) {
  const found = src.match(pattern)?.length ?? 0;
  if (found !== count) {
    console.error(`patch-s3rver: expected ${count} of ${pattern} in ${file}, found ${found}; not patched`);
    process.exit(1);
  }
  src = src.replace(pattern, replacement);
}
writeFileSync(file, `${MARK}\n${src}`);
console.log('patch-s3rver: continuation tokens use AES-128-CBC (DES is refused by OpenSSL 3)');
