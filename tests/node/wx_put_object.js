'use strict';
// cos-wx-sdk-v5 putObject of a file (the SDK reads it through the file system
// manager), then headObject.
// Inputs: {file, key, contentType}.

const { call, inputs, recordRequests, run } = require('./lib/scenario');
const { wxSdk } = require('./lib/wx_sdk');

run(async () => {
  const { file, key, contentType } = inputs();
  const { sdk, bucket, region } = wxSdk();
  const requests = recordRequests(sdk);
  const put = await call(sdk, 'putObject', {
    Bucket: bucket,
    Region: region,
    Key: key,
    FilePath: file,
    ContentType: contentType,
  });
  const head = await call(sdk, 'headObject', { Bucket: bucket, Region: region, Key: key });
  return {
    statusCode: put.statusCode,
    etag: put.ETag,
    location: put.Location,
    head: { etag: head.ETag, contentLength: Number(head.headers['content-length']) },
    operations: requests.map((request) => request.operation),
  };
});
