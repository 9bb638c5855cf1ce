'use strict';
// cos-wx-sdk-v5 sliceUploadFile: a multipart upload whose parts the SDK reads
// with the file system manager's ranged readFile.
// Inputs: {file, key, chunkSize, asyncLimit}.

const { call, inputs, operationsOn, partNumbersSent, recordRequests, run } = require('./lib/scenario');
const { wxSdk } = require('./lib/wx_sdk');

run(async () => {
  const { file, key, chunkSize, asyncLimit } = inputs();
  const { sdk, bucket, region } = wxSdk({ ProgressInterval: 10 });
  const requests = recordRequests(sdk);
  let lastProgress = null;
  const data = await call(sdk, 'sliceUploadFile', {
    Bucket: bucket,
    Region: region,
    Key: key,
    FilePath: file,
    ChunkSize: chunkSize,
    AsyncLimit: asyncLimit,
    onProgress: (progress) => (lastProgress = progress),
  });
  return {
    etag: data.ETag,
    uploadId: data.UploadId,
    location: data.Location,
    operations: operationsOn(requests, key),
    partsSent: partNumbersSent(requests, key),
    lastProgress,
  };
});
