// A stand-in for the Lambda Node.js runtime, as a child process: loads one bundled entry point (the
// esbuild output in the cloud assembly) with the layer's node_modules on NODE_PATH, exactly how Lambda
// resolves /opt/nodejs/node_modules, and invokes its `handler` for each event the parent sends.
'use strict';

const bundle = require(process.env.BUNDLE_ENTRY);
let invocations = 0;

function context(timeoutMs, requestId) {
  const deadline = Date.now() + timeoutMs;
  invocations++;
  return {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    awsRequestId: requestId || `bundle-test-${process.pid}-${invocations}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

process.on('message', async (msg) => {
  if (msg.type === 'resolve') {
    // Where the bundle's external modules come from, seen from the bundle's own folder.
    const from = { paths: [require('node:path').dirname(process.env.BUNDLE_ENTRY)] };
    const resolved = {};
    for (const name of msg.modules) {
      try {
        resolved[name] = require.resolve(name, from);
      } catch {
        resolved[name] = null;
      }
    }
    process.send({ id: msg.id, result: resolved });
    return;
  }
  try {
    const result = await bundle.handler(msg.event, context(msg.timeoutMs, msg.requestId));
    process.send({ id: msg.id, result });
  } catch (err) {
    process.send({ id: msg.id, error: { name: err && err.name, message: String(err && err.message) } });
  }
});
process.send({ type: 'ready' });
