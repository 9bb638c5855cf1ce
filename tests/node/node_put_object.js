'use strict';
// cos-nodejs-sdk-v5: putObject a file's bytes with a content type and metadata,
// then headObject and getObject it back.
// Inputs: {file, key, contentType, meta: {name: value}}.

const crypto = require('crypto');
const fs = require('fs');
const { call, inputs, run } = require('./lib/scenario');
const { nodeSdk } = require('./lib/node_sdk');

run(async () => {
  const { file, key, contentType, meta } = inputs();
  const { sdk, bucket, region } = nodeSdk();
  const headers = {};
  Object.entries(meta || {}).forEach(([name, value]) => (headers[`x-cos-meta-${name}`] = value));
  const put = await call(sdk, 'putObject', {
    Bucket: bucket,
    Region: region,
    Key: key,
    Body: fs.readFileSync(file),
    ContentType: contentType,
    Headers: headers,
  });
  const head = await call(sdk, 'headObject', { Bucket: bucket, Region: region, Key: key });
  const got = await call(sdk, 'getObject', { Bucket: bucket, Region: region, Key: key });
  return {
    put: { statusCode: put.statusCode, etag: put.ETag, crc64: put.headers['x-cos-hash-crc64ecma'] || null },
    head: {
      statusCode: head.statusCode,
      etag: head.ETag,
      contentLength: Number(head.headers['content-length']),
      contentType: head.headers['content-type'],
      meta: Object.fromEntries(
        Object.entries(head.headers)
          .filter(([name]) => name.startsWith('x-cos-meta-'))
          .map(([name, value]) => [name.slice('x-cos-meta-'.length), value])
      ),
    },
    get: {
      statusCode: got.statusCode,
      length: got.Body.length,
      md5: crypto.createHash('md5').update(got.Body).digest('hex'),
    },
  };
});
