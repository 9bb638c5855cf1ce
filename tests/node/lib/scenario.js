'use strict';
// What every scenario script shares: where the server is, the scenario's inputs,
// and the one JSON line it answers with.
//
// Connection settings come from the environment (COS_ENDPOINT, COS_BUCKET,
// COS_REGION, COS_SECRET_ID, COS_SECRET_KEY), never from argv, which other
// local users can read; the scenario's own inputs (paths, keys) are a JSON
// object in argv[2]. Nothing here prints a key.

const fs = require('fs');
const os = require('os');
const path = require('path');

// The SDKs log through console.log; stdout carries only the result line.
console.log = console.error;
console.info = console.error;
console.warn = console.error;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

function connection() {
  const endpoint = new URL(required('COS_ENDPOINT'));
  return {
    protocol: endpoint.protocol, // 'http:'
    hostPort: endpoint.host, // '127.0.0.1:PORT'
    bucket: required('COS_BUCKET'),
    region: required('COS_REGION'),
    secretId: required('COS_SECRET_ID'),
    secretKey: required('COS_SECRET_KEY'),
  };
}

function inputs() {
  return process.argv[2] ? JSON.parse(process.argv[2]) : {};
}

// Where the Node SDK keeps its UploadId cache: a folder of the test's, never
// the user's ~/.config.
function sdkConfDir() {
  return process.env.COS_SDK_CONF_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'cos-sdk-conf-'));
}

// An SDK error as plain data: what the server answered, without request headers
// (they hold the Authorization).
function describeError(err) {
  if (!err || typeof err !== 'object') return { message: String(err) };
  // The Node SDK's errors carry the parsed <Error> in `error`; the wx SDK's are
  // {error: <Error> or a message string}.
  const body = err.error && typeof err.error === 'object' ? err.error : {};
  const headers = err.headers || {};
  return {
    message: err.message || body.Message || (typeof err.error === 'string' ? err.error : null),
    code: err.code || body.Code || null,
    statusCode: err.statusCode || null,
    method: err.method || null,
    url: err.url ? String(err.url).split('?')[0] : null,
    requestId: headers['x-cos-request-id'] || body.RequestId || null,
  };
}

// Calls `sdk[method](params)` and resolves with its data or rejects with its error.
function call(sdk, method, params) {
  return new Promise((resolve, reject) => {
    sdk[method](params, (err, data) => (err ? reject(err) : resolve(data)));
  });
}

// Same, but resolves with {error} or {data}: for calls expected to fail.
function settle(sdk, method, params) {
  return call(sdk, method, params).then(
    (data) => ({ data }),
    (err) => ({ error: describeError(err) })
  );
}

// The COS operation a request is, by its method, key and query.
function operationOf(method, key, query) {
  if ('uploadId' in query) {
    if (method === 'PUT') return 'UploadPart';
    return { GET: 'ListParts', POST: 'CompleteMultipartUpload', DELETE: 'AbortMultipartUpload' }[method];
  }
  if ('uploads' in query) return method === 'POST' ? 'InitiateMultipartUpload' : 'ListMultipartUploads';
  if (method === 'POST') return 'append' in query ? 'AppendObject' : 'PostObject';
  if (key === '') return { GET: 'GetBucket', HEAD: 'HeadBucket' }[method] || method;
  return { PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method] || method;
}

// Each request the SDK sends, as {operation, method, key, query} (the host and
// headers left out): the tests read from it which operations ran and which
// parts were sent.
function recordRequests(sdk) {
  const sent = [];
  sdk.on('before-send', (options) => {
    const url = new URL(options.url);
    const query = {};
    url.searchParams.forEach((value, name) => (query[name] = value));
    Object.entries(options.qs || {}).forEach(([name, value]) => (query[name] = String(value)));
    const method = String(options.method).toUpperCase();
    const key = decodeURIComponent(url.pathname.slice(1));
    sent.push({ operation: operationOf(method, key, query), method, key, query });
  });
  return sent;
}

// The operations recorded for `key` (and the bucket listings with `key` as
// prefix), in order.
function operationsOn(requests, key) {
  return requests
    .filter((request) => request.key === key || (request.key === '' && request.query.prefix === key))
    .map((request) => request.operation);
}

// The part numbers of the Upload Part requests recorded for `key`, ascending.
function partNumbersSent(requests, key) {
  return requests
    .filter((request) => request.operation === 'UploadPart' && request.key === key)
    .map((request) => Number(request.query.partNumber))
    .sort((a, b) => a - b);
}

function finish(result, exitCode) {
  // The SDKs keep sockets alive: leave explicitly once the line is written.
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(exitCode));
}

// Runs `main` and prints {ok: true, ...its result} or {ok: false, error}.
function run(main) {
  // Node leaves quietly when nothing is left to wait for: say so instead.
  process.on('beforeExit', () =>
    finish({ ok: false, error: { message: 'the scenario stopped waiting: an SDK callback never came' } }, 1)
  );
  Promise.resolve()
    .then(main)
    .then(
      (result) => finish(Object.assign({ ok: true }, result), 0),
      (err) => finish({ ok: false, error: describeError(err), stack: err && err.stack ? err.stack : null }, 1)
    );
}

module.exports = {
  call,
  connection,
  describeError,
  inputs,
  operationsOn,
  partNumbersSent,
  recordRequests,
  run,
  sdkConfDir,
  settle,
};
