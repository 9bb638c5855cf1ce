'use strict';
// A minimal `wx` (the WeChat mini program API) for running cos-wx-sdk-v5 in node.
//
// It implements exactly what cos-wx-sdk-v5 1.8 calls: wx.request, wx.uploadFile
// (postObject), wx.getFileSystemManager() (readFile, stat), the storage calls
// of its UploadId cache, the environment probes (canIUse, getAppBaseInfo,
// getDeviceInfo, getNetworkType), and the `window` binding its bundle names. Behaviour follows the mini program docs:
// callbacks success/fail/complete, errMsg "<api>:ok" / "<api>:fail <reason>",
// ArrayBuffer file data, a task object with abort().
//
// The network: the SDK has no IP or protocol option; it always builds
// https://{bucket}.cos.{region}.myqcloud.com/... URLs. In a mini program the
// WeChat client resolves that name and speaks TLS to it; here the shim plays
// that part: it connects to the local server's port over plain HTTP and sends
// the host the SDK named in the Host header (what the Node SDK's Ip mode does).
// Any other host fails, so nothing leaves 127.0.0.1.

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

const COS_HOST = /^[a-z0-9.-]+\.(myqcloud\.com|tencentcos\.cn)$/i;

function callbacks(options, api) {
  const done = (outcome, result) => {
    try {
      if (outcome === 'ok') options.success && options.success(result);
      else options.fail && options.fail(result);
    } finally {
      options.complete && options.complete(result);
    }
  };
  return {
    ok: (result) => done('ok', Object.assign({ errMsg: `${api}:ok` }, result)),
    fail: (reason) => done('fail', { errMsg: `${api}:fail ${reason}` }),
  };
}

// The local address a COS URL the SDK built goes to, and the Host it names.
function sandboxTarget(url, hostPort) {
  const parsed = new URL(url);
  if (!COS_HOST.test(parsed.hostname)) {
    throw new Error(`the wx shim only reaches COS hosts, not ${parsed.hostname}`);
  }
  const [hostname, port] = hostPort.split(':');
  return { hostname, port: Number(port), path: parsed.pathname + parsed.search, host: parsed.host };
}

function withoutHeaders(headers, names) {
  const kept = {};
  Object.entries(headers || {}).forEach(([name, value]) => {
    if (!names.includes(name.toLowerCase()) && value !== undefined && value !== null) kept[name] = value;
  });
  return kept;
}

function hasHeader(headers, name) {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

function toBuffer(data) {
  if (data === undefined || data === null) return null;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw new Error(`the wx shim does not send ${typeof data} data`);
}

function toArrayBuffer(buffer) {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
}

// Sends one HTTP request to the sandbox; `writeBody(request)` writes and ends the body.
function send(target, method, headers, writeBody, timeoutMs, onAnswer, onFailure) {
  const request = http.request({
    hostname: target.hostname,
    port: target.port,
    path: target.path,
    method,
    headers: Object.assign({}, headers, { Host: target.host }),
  });
  let settled = false;
  const failOnce = (reason) => {
    if (settled) return;
    settled = true;
    onFailure(reason);
  };
  if (timeoutMs) request.setTimeout(timeoutMs, () => request.destroy(new Error('timeout')));
  request.on('error', (err) => failOnce(err.message));
  request.on('response', (response) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('error', (err) => failOnce(err.message));
    response.on('end', () => {
      if (settled) return;
      settled = true;
      onAnswer(response, Buffer.concat(chunks));
    });
  });
  writeBody(request);
  return {
    abort() {
      failOnce('abort');
      request.destroy();
    },
  };
}

function makeRequest(hostPort) {
  return function request(options) {
    const result = callbacks(options, 'request');
    let target;
    let body;
    try {
      target = sandboxTarget(options.url, hostPort);
      body = toBuffer(options.data);
    } catch (err) {
      result.fail(err.message);
      return { abort() {} };
    }
    const method = (options.method || 'GET').toUpperCase();
    const headers = withoutHeaders(options.header, ['host', 'content-length']);
    // wx.request sends JSON unless told otherwise.
    if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
    if (body || !['GET', 'HEAD'].includes(method)) headers['Content-Length'] = body ? body.length : 0;
    return send(
      target,
      method,
      headers,
      (outgoing) => outgoing.end(body || undefined),
      options.timeout,
      (response, answer) => {
        let data = options.responseType === 'arraybuffer' ? toArrayBuffer(answer) : answer.toString('utf8');
        if (options.dataType === undefined || options.dataType === 'json') {
          try {
            data = JSON.parse(data);
          } catch (e) {
            // wx leaves a body that is not JSON as it came
          }
        }
        result.ok({ data, statusCode: response.statusCode, header: response.headers, cookies: [] });
      },
      result.fail
    );
  };
}

function formField(boundary, name, value) {
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    'utf8'
  );
}

function makeUploadFile(hostPort) {
  return function uploadFile(options) {
    const result = callbacks(options, 'uploadFile');
    const progressListeners = [];
    let target;
    let fileSize;
    try {
      target = sandboxTarget(options.url, hostPort);
      fileSize = fs.statSync(options.filePath).size;
    } catch (err) {
      result.fail(err.message);
      return { abort() {}, onProgressUpdate() {}, offProgressUpdate() {} };
    }
    // multipart/form-data: the form fields in the order given, then the file.
    const boundary = `----WxShimBoundary${crypto.randomBytes(8).toString('hex')}`;
    const head = Buffer.concat([
      ...Object.entries(options.formData || {}).map(([name, value]) => formField(boundary, name, value)),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${options.name}"; ` +
          `filename="${path.basename(options.filePath)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        'utf8'
      ),
    ]);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
    const headers = withoutHeaders(options.header, ['host', 'content-length', 'content-type']);
    headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
    headers['Content-Length'] = head.length + fileSize + tail.length;

    const task = send(
      target,
      'POST',
      headers,
      (outgoing) => {
        outgoing.write(head);
        let sent = 0;
        const file = fs.createReadStream(options.filePath);
        file.on('data', (chunk) => {
          sent += chunk.length;
          const update = {
            progress: fileSize ? Math.floor((sent * 100) / fileSize) : 100,
            totalBytesSent: sent,
            totalBytesExpectedToSend: fileSize,
          };
          progressListeners.forEach((listener) => listener(update));
        });
        file.on('error', (err) => outgoing.destroy(err));
        file.on('end', () => outgoing.end(tail));
        file.pipe(outgoing, { end: false });
      },
      options.timeout,
      (response, answer) =>
        result.ok({ data: answer.toString('utf8'), statusCode: response.statusCode, header: response.headers }),
      result.fail
    );
    return {
      abort: task.abort,
      onProgressUpdate: (listener) => progressListeners.push(listener),
      offProgressUpdate: (listener) => {
        const index = progressListeners.indexOf(listener);
        if (index >= 0) progressListeners.splice(index, 1);
      },
    };
  };
}

function wxStats(stats) {
  return {
    mode: stats.mode,
    size: stats.size,
    lastAccessedTime: Math.floor(stats.atimeMs / 1000),
    lastModifiedTime: Math.floor(stats.mtimeMs / 1000),
    isDirectory: () => stats.isDirectory(),
    isFile: () => stats.isFile(),
  };
}

const fileSystemManager = {
  // Reads `length` bytes from `position` (default: the whole file), as an ArrayBuffer.
  readFile(options) {
    const result = callbacks(options, 'readFile');
    const missing = () => result.fail(`no such file or directory, open ${options.filePath}`);
    fs.stat(options.filePath, (statError, stats) => {
      if (statError) return missing();
      const start = Math.min(options.position || 0, stats.size);
      const length = Math.min(options.length === undefined ? stats.size : options.length, stats.size - start);
      const bytes = Buffer.alloc(length);
      fs.open(options.filePath, 'r', (openError, fd) => {
        if (openError) return missing();
        fs.read(fd, bytes, 0, length, start, (readError, bytesRead) => {
          fs.close(fd, () => {});
          if (readError || bytesRead !== length) return result.fail(`read error ${options.filePath}`);
          result.ok({ data: options.encoding ? bytes.toString(options.encoding) : toArrayBuffer(bytes) });
        });
      });
    });
  },
  stat(options) {
    const result = callbacks(options, 'stat');
    fs.stat(options.path, (err, stats) => {
      if (err) return result.fail(`no such file or directory ${options.path}`);
      result.ok({ stats: wxStats(stats) });
    });
  },
};

function installWx(hostPort) {
  const storage = new Map();
  const wx = {
    request: makeRequest(hostPort),
    uploadFile: makeUploadFile(hostPort),
    getFileSystemManager: () => fileSystemManager,
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, value),
    removeStorageSync: (key) => storage.delete(key),
    // A base library new enough for the SDK's sliced uploads (2.10.0 and later).
    getAppBaseInfo: () => ({ SDKVersion: '3.4.0', version: '8.0.50', language: 'zh_CN' }),
    getDeviceInfo: () => ({ platform: 'devtools', system: `node ${process.version}`, brand: 'devtools' }),
    getNetworkType: (options) => callbacks(options, 'getNetworkType').ok({ networkType: 'wifi' }),
  };
  wx.canIUse = (name) => typeof wx[name] === 'function';
  global.wx = wx;
  // The mini program runtime wraps each module in a function with a parameter
  // named `window` that is undefined; the SDK's bundle names it at load time.
  global.window = undefined;
  return wx;
}

module.exports = { installWx };
