'use strict';
// cos-nodejs-sdk-v5 uploadFiles: several files in one call (small ones by
// putObject, larger ones in parts), onFileFinish once per file, the callback
// once with every file's outcome.
// Inputs: {files: [{file, key}], sliceSize}.

const { describeError, inputs, operationsOn, recordRequests, run } = require('./lib/scenario');
const { nodeSdk } = require('./lib/node_sdk');

run(async () => {
  const { files, sliceSize } = inputs();
  const { sdk, bucket, region } = nodeSdk();
  const requests = recordRequests(sdk);
  const finished = [];
  const outcome = await new Promise((resolve, reject) => {
    sdk.uploadFiles(
      {
        files: files.map(({ file, key }) => ({ Bucket: bucket, Region: region, Key: key, FilePath: file })),
        SliceSize: sliceSize,
        onFileFinish: (err, data, options) =>
          finished.push({ key: options.Key, index: options.Index, error: err ? describeError(err) : null }),
      },
      (err, data) => (err ? reject(err) : resolve(data))
    );
  });
  return {
    onFileFinish: finished,
    files: outcome.files.map((item) => ({
      key: item.options.Key,
      error: item.error ? describeError(item.error) : null,
      etag: item.data ? item.data.ETag : null,
      operations: operationsOn(requests, item.options.Key),
    })),
  };
});
