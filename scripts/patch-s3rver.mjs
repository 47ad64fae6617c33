/**
 * Fixes to s3rver 3.7.1 (the local S3 stand-in, no longer maintained), run by `npm install`/`npm ci`
 * (postinstall). Idempotent; fails loudly if a file no longer looks as expected. (issue 14)
 *
 * - ListObjectsV2 continuation tokens were built with DES, which OpenSSL 3 (Node 17+) refuses: every
 *   listing past 1,000 objects failed (ERR_OSSL_EVP_UNSUPPORTED). Now AES-128-CBC; still opaque.
 * - Object writes: see the comment on 'stores/filesystem.js' below.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const __dirname = dirname(fileURLToPath(import.meta.url));

const MARK = '/* patched by scripts/patch-s3rver.mjs */';

/** [pattern, replacement, expected count] per file, relative to s3rver's lib/. */
const patches = {
  'controllers/bucket.js': [
    // generateContinuationToken and decipherContinuationToken: 16-byte key and IV for AES.
    [/Buffer\.alloc\(8, 'S3RVER', 'utf8'\)/g, "Buffer.alloc(16, 'S3RVER', 'utf8')", 2],
    [/crypto\.randomBytes\(8\)/g, 'crypto.randomBytes(16)', 1],
    [/createCipheriv\('des'/g, "createCipheriv('aes-128-cbc'", 1],
    [/createDecipheriv\('des'/g, "createDecipheriv('aes-128-cbc'", 1],
    [/if \(buf\.length < 8\) return '';/g, "if (buf.length < 16) return '';", 1],
    [/buf\.slice\(0, 8\)/g, 'buf.slice(0, 16)', 1],
    [/buf\.slice\(8\)/g, 'buf.slice(16)', 1],
  ],
  // Crash and full-disk safety of the object store (docs/store.md, "Local storage and its disk"): every
  // file is written under a temporary name and renamed into place, the object last; a write error
  // (ENOSPC) rejects the request (500) instead of being an unhandled 'error' event that ends the process;
  // metadata a crash of an older version left partial makes its object absent instead of failing listings.
  'stores/filesystem.js': [
    [
      /fs\s*\.readFile\(metadataPath\)\s*\.then\(JSON\.parse\)\s*\.catch\(err => \{\s*if \(err\.code === 'ENOENT'\) return undefined;\s*throw err;\s*\}\)/g,
      `fs
        .readFile(metadataPath)
        .catch(err => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        })
        .then(data => {
          if (data === undefined) return undefined;
          try {
            return JSON.parse(data);
          } catch {
            throw Object.assign(new Error('partial metadata: object treated as absent'), { code: 'ENOENT' });
          }
        })`,
      1,
    ],
    [
      /if \(md5\) await fs\.writeFile\(md5Path, md5\);\s*await fs\.writeFile\(metadataPath, JSON\.stringify\(json, null, 2\)\);/g,
      `if (md5) await writeAtomic(md5Path, md5);
    await writeAtomic(metadataPath, JSON.stringify(json, null, 2));`,
      1,
    ],
    [
      /const \[size, md5\] = await new Promise\(\(resolve, reject\) => \{\s*const writeStream = fs\.createWriteStream\(objectPath\);[\s\S]*?await this\.putMetadata\(object\.bucket, object\.key, object\.metadata, md5\);\s*return \{ size, md5 \};/g,
      `const tmp = tmpName(objectPath);
    try {
      const [size, md5] = await new Promise((resolve, reject) => {
        const writeStream = fs.createWriteStream(tmp);
        const md5Context = crypto.createHash('md5');
        let totalLength = 0;
        writeStream.on('error', reject);
        writeStream.on('finish', () => resolve([totalLength, md5Context.digest('hex')]));
        if (Buffer.isBuffer(object.content)) {
          md5Context.update(object.content);
          totalLength = object.content.length;
          writeStream.end(object.content);
        } else {
          object.content
            .on('error', reject)
            .pipe(
              new Transform({
                transform(chunk, encoding, callback) {
                  md5Context.update(chunk, encoding);
                  totalLength += chunk.length;
                  callback(null, chunk);
                },
              }),
            )
            .on('error', reject)
            .pipe(writeStream);
        }
      });
      await this.putMetadata(object.bucket, object.key, object.metadata, md5);
      await fs.rename(tmp, objectPath);
      return { size, md5 };
    } catch (err) {
      await fs.remove(tmp).catch(() => undefined);
      throw err;
    }`,
      1,
    ],
    [
      /const S3RVER_SUFFIX = '%s\._S3rver_%s';/g,
      `const S3RVER_SUFFIX = '%s._S3rver_%s';

/** A name beside the file that no listing matches (it ends in .tmp); startStandIns sweeps leftovers. */
function tmpName(file) {
  return \`\${file}.\${process.pid}.\${crypto.randomBytes(4).toString('hex')}.tmp\`;
}

async function writeAtomic(file, data) {
  const tmp = tmpName(file);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.remove(tmp).catch(() => undefined);
    throw err;
  }
}`,
      1,
    ],
  ],
};

let failed = false;
for (const [name, swaps] of Object.entries(patches)) {
  const file = join(__dirname, '../node_modules/s3rver/lib', name);
  let src = readFileSync(file, 'utf8');
  if (src.includes('/* patched by scripts/patch-s3rver')) continue;
  for (const [pattern, replacement, count] of swaps) {
    const found = src.match(pattern)?.length ?? 0;
    if (found !== count) {
      console.error(`patch-s3rver: expected ${count} of ${pattern} in ${file}, found ${found}; not patched`);
      failed = true;
    }
    src = src.replace(pattern, () => replacement);
  }
  if (failed) process.exit(1);
  writeFileSync(file, `${MARK}\n${src}`);
  console.log(`patch-s3rver: patched ${name}`);
}
