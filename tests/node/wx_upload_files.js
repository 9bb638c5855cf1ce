'use strict';
// cos-wx-sdk-v5 uploadFiles: several files in one call, onFileFinish once per
// file, the callback once with every file's outcome.
// Inputs: {files: [{file, key}], sliceSize, simpleUploadMethod}.

const { describeError, inputs, operationsOn, recordRequests, run } = require('./lib/scenario');
const { wxSdk } = require('./lib/wx_sdk');

run(async () => {
  const { files, sliceSize, simpleUploadMethod } = inputs();
  const options = simpleUploadMethod ? { SimpleUploadMethod: simpleUploadMethod } : {};
  const { sdk, bucket, region } = wxSdk(options);
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
