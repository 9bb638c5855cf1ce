'use strict';
// cos-wx-sdk-v5 uploadFile, one file after the other: at most SliceSize bytes
// go by the SDK's simple upload method (postObject unless told putObject),
// larger files as a multipart upload.
// Inputs: {files: [{file, key}], sliceSize, chunkSize, simpleUploadMethod}.

const { inputs, operationsOn, partNumbersSent, recordRequests, run } = require('./lib/scenario');
const { wxSdk } = require('./lib/wx_sdk');

function uploadFile(sdk, params) {
  return new Promise((resolve, reject) => {
    let finished = null;
    sdk.uploadFile(
      Object.assign({}, params, {
        onFileFinish: (err, data, options) => (finished = { error: !!err, key: options.Key, taskId: options.TaskId }),
      }),
      (err, data) => (err ? reject(err) : resolve({ data, finished }))
    );
  });
}

run(async () => {
  const { files, sliceSize, chunkSize, simpleUploadMethod } = inputs();
  const options = simpleUploadMethod ? { SimpleUploadMethod: simpleUploadMethod } : {};
  const { sdk, bucket, region } = wxSdk(options);
  const requests = recordRequests(sdk);
  const results = [];
  for (const { file, key } of files) {
    const { data, finished } = await uploadFile(sdk, {
      Bucket: bucket,
      Region: region,
      Key: key,
      FilePath: file,
      SliceSize: sliceSize,
      ChunkSize: chunkSize,
    });
    results.push({
      key,
      etag: data.ETag,
      uploadId: data.UploadId || null,
      onFileFinish: finished,
      operations: operationsOn(requests, key),
      partsSent: partNumbersSent(requests, key),
    });
  }
  return { files: results };
});
