/**
 * Fixes to dynalite 4.0.0 (the local DynamoDB stand-in, LevelDB underneath), run by `npm install`/`npm ci`
 * (postinstall). Idempotent; fails loudly if the version or a file no longer looks as expected. (issue 14;
 * docs/store.md, "Local storage and its disk")
 *
 * - A storage error (LevelDB's `IO error: ... No space left on device`) was rethrown from the request's
 *   callback (`if (err) throw err`): an uncaught exception that ended the whole local server. Now it
 *   answers 500 `InternalServerError`, what DynamoDB answers for a failure of its own: the SDK retries it
 *   as transient, then our adapters answer SERVICE_UNAVAILABLE. Not a throttling error: that would claim
 *   a capacity limit and get the SDK's longer throttling backoff for a condition no wait fixes.
 * - After such an error LevelDB's writes stay failed even once space is back (a failed memtable flush
 *   sets a background error that only a reopen clears), and the log it was appending to may hold a torn
 *   record after which a later append would be dropped on recovery. So from the first storage error on,
 *   writes are refused (500) without reaching LevelDB, reads are served, and the first request after at
 *   least REOPEN_FREE_BYTES are free again reopens the database (recovery replays its logs into a fresh
 *   one) before anything else runs.
 * - A request stream error (a client that resets mid-body) was rethrown too; now it drops that request.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const __dirname = dirname(fileURLToPath(import.meta.url));
const root = join(__dirname, '../node_modules/dynalite');
const VERSION = '4.0.0';
const MARK = '/* patched by scripts/patch-dynalite.mjs */';

const helpers = `
/* Storage errors (scripts/patch-dynalite.mjs). */
var READ_ACTIONS = [ 'batchGetItem', 'describeTable', 'describeTimeToLive', 'getItem', 'listTables',
  'listTagsOfResource', 'query', 'scan' ]
// LevelDB's recovery writes the replayed log as a table (up to its 4 MB write buffer) and a new log.
var REOPEN_FREE_BYTES = 16 * 1024 * 1024

function freeBytesAt (dir) {
  try {
    var s = fs.statfsSync(dir)
    return s.bavail * s.bsize
  }
  catch {
    return 0
  }
}

/** Runs cb() when the request may reach LevelDB, cb(err) when it must be refused (storage failed, no space yet). */
function storageGate (store, action, cb) {
  if (!store.storageFailed) return cb()
  if (store.reopening) return store.reopening.then(function () { storageGate(store, action, cb) })
  var free = store.options.path ? freeBytesAt(store.options.path) : 0
  if (free >= REOPEN_FREE_BYTES) {
    // The instance's own close/open (the callback wrappers would mark the store closed for good).
    var proto = Object.getPrototypeOf(store.db)
    store.reopening = proto.close.call(store.db)
      .then(function () { return proto.open.call(store.db) })
      .then(function () { store.storageFailed = false }, function () { /* still failing: the next request tries again */ })
      .then(function () { store.reopening = null })
    return store.reopening.then(function () { storageGate(store, action, cb) })
  }
  if (~READ_ACTIONS.indexOf(action)) return cb()
  cb(new Error('the table\\'s storage failed (' + store.storageFailed + '); ' + free + ' bytes free'))
}

function storageFailed (req, res, store, err) {
  if (!store.storageFailed) store.storageFailed = (err && err.message) || String(err)
  if (verbose) console.error('[Dynalite] Storage error', err)
  if (res.headersSent || res.destroyed) return
  sendData(req, res, {
    __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error: ' + ((err && err.message) || String(err)),
  }, 500)
}
`;

/** [pattern, replacement, expected count] */
const swaps = [
  [
    /req\.on\('error', function \(err\) \{ throw err \}\)/g,
    "req.on('error', function () { res.destroy() })",
    1,
  ],
  [
    /    actions\[action\]\(store, data, function \(err, data\) \{\n      if \(err && err\.statusCode\) \{\n        if \(verbose\) console\.error\('\[Dynalite\] API error', err\.body\)\n        return sendData\(req, res, err\.body, err\.statusCode\)\n      \}\n      if \(err\) throw err\n      sendData\(req, res, data\)\n    \}\)\n/g,
    `    storageGate(store, action, function (gateErr) {
      if (gateErr) return storageFailed(req, res, store, gateErr)
      actions[action](store, data, function (err, data) {
        if (err && err.statusCode) {
          if (verbose) console.error('[Dynalite] API error', err.body)
          return sendData(req, res, err.body, err.statusCode)
        }
        if (err) return storageFailed(req, res, store, err)
        sendData(req, res, data)
      })
    })
`,
    1,
  ],
  [
    /\nfunction sendData \(req, res, data, statusCode\) \{/g,
    `${helpers}\nfunction sendData (req, res, data, statusCode) {`,
    1,
  ],
];

const file = join(root, 'index.js');
let src = readFileSync(file, 'utf8');
if (!src.startsWith(MARK)) {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  let failed = version !== VERSION;
  if (failed) console.error(`patch-dynalite: written for dynalite ${VERSION}, found ${version}; not patched`);
  for (const [pattern, replacement, count] of swaps) {
    const found = src.match(pattern)?.length ?? 0;
    if (found !== count) {
      console.error(
        `patch-dynalite: expected ${count} of ${pattern} in ${file}, found ${found}; not patched`,
      );
      failed = true;
    }
    src = src.replace(pattern, () => replacement);
  }
  if (failed) process.exit(1);
  writeFileSync(file, `${MARK}\n${src}`);
  console.log('patch-dynalite: patched index.js');
}
