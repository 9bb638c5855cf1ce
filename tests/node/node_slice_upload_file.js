'use strict';
// cos-nodejs-sdk-v5: sliceUploadFile, a multipart upload of ChunkSize parts,
// AsyncLimit at a time, with progress reported to the end.
// Inputs: {file, key, chunkSize, asyncLimit}.

const { call, inputs, operationsOn, partNumbersSent, recordRequests, run } = require('./lib/scenario');
const { nodeSdk } = require('./lib/node_sdk');

run(async () => {
  const { file, key, chunkSize, asyncLimit } = inputs();
  const { sdk, bucket, region } = nodeSdk({ ProgressInterval: 10 });
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
