'use strict';
// cos-wx-sdk-v5, as published (its package entry, the bundle a mini program
// gets), running on the `wx` shim that leads its requests to the local server.

const { connection } = require('./scenario');
const { installWx } = require('./wx_shim');

function wxSdk(options = {}) {
  const server = connection();
  // The SDK reads `wx` as it loads: the shim first.
  installWx(server.hostPort);
  const COS = require('cos-wx-sdk-v5');
  const sdk = new COS(
    Object.assign({ SecretId: server.secretId, SecretKey: server.secretKey, Timeout: 30000 }, options)
  );
  return { sdk, bucket: server.bucket, region: server.region };
}

module.exports = { wxSdk };
