'use strict';
// cos-nodejs-sdk-v5 pointed at the local server the two ways it can reach one.

const COS = require('cos-nodejs-sdk-v5');
const { connection, sdkConfDir } = require('./scenario');

// mode 'ip': the SDK connects to Ip but sends the real COS Host header
//   ({bucket}.cos.{region}.myqcloud.com), as it would through a private line.
// mode 'domain': every request goes to Domain; neither bucket nor region is
//   sent, so the server answers for its default bucket.
function nodeSdk(options = {}, mode = process.env.COS_ENDPOINT_MODE || 'ip') {
  const server = connection();
  const endpoint =
    mode === 'domain'
      ? { Domain: server.hostPort, Protocol: server.protocol }
      : { Ip: server.hostPort, Protocol: server.protocol };
  const sdk = new COS(
    Object.assign(
      {
        SecretId: server.secretId,
        SecretKey: server.secretKey,
        ConfCwd: sdkConfDir(),
        // Fail fast rather than hang the test if the server stops answering.
        Timeout: 30000,
      },
      endpoint,
      options
    )
  );
  return { sdk, bucket: server.bucket, region: server.region };
}

module.exports = { nodeSdk };
