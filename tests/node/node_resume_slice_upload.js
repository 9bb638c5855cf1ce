'use strict';
// cos-nodejs-sdk-v5: a sliceUploadFile cancelled with cancelTask mid-way, then
// the same file uploaded again. The SDK finds the upload by listing uploads for
// the key (and its UploadId cache), lists its parts, and sends only the missing ones.
//
// Inputs: {file, key, chunkSize, cancelAtPart, phase}
//   phase 'interrupt': upload one part at a time and cancel the task as part
//     `cancelAtPart` goes out; report the parts the server then holds.
//   phase 'resume': upload the file (a new process: with an empty UploadId
//     cache the SDK must match the listed parts' ETags and sizes to the file).
//   phase 'both': interrupt, then resume with the same COS instance.

const { call, inputs, partNumbersSent, recordRequests, run } = require('./lib/scenario');
const { nodeSdk } = require('./lib/node_sdk');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function partsOnServer(sdk, bucket, region, key, uploadId) {
  const listed = await call(sdk, 'multipartListPart', { Bucket: bucket, Region: region, Key: key, UploadId: uploadId });
  return listed.Part.map((part) => Number(part.PartNumber)).sort((a, b) => a - b);
}

async function interrupt(sdk, requests, params, cancelAtPart) {
  let taskId = null;
  let uploadId = null;
  const cancelled = new Promise((resolve, reject) => {
    sdk.on('before-send', (options) => {
      const query = Object.assign({}, options.qs);
      if (taskId && Number(query.partNumber) === cancelAtPart) {
        uploadId = query.uploadId;
        // After this request is under way, as a user's click would come.
        setImmediate(() => {
          sdk.cancelTask(taskId);
          resolve();
        });
      }
    });
    sdk.sliceUploadFile(
      Object.assign({}, params, { AsyncLimit: 1, onTaskReady: (id) => (taskId = id) }),
      (err) => reject(new Error(`the upload ended before it was cancelled (${err ? err.message : 'success'})`))
    );
  });
  await cancelled;
  const state = sdk.getTaskList().find((task) => task.id === taskId).state;
  // Let the aborted part's request end on the server before asking for the parts.
  let parts = await partsOnServer(sdk, params.Bucket, params.Region, params.Key, uploadId);
  for (;;) {
    await sleep(200);
    const again = await partsOnServer(sdk, params.Bucket, params.Region, params.Key, uploadId);
    if (JSON.stringify(again) === JSON.stringify(parts)) break;
    parts = again;
  }
  return { uploadId, taskState: state, partsSent: partNumbersSent(requests, params.Key), partsOnServer: parts };
}

async function resume(sdk, requests, params) {
  const before = requests.length;
  const data = await call(sdk, 'sliceUploadFile', params);
  const sent = requests.slice(before);
  return {
    uploadId: data.UploadId,
    etag: data.ETag,
    operations: sent.map((request) => request.operation),
    partsSent: partNumbersSent(sent, params.Key),
  };
}

run(async () => {
  const { file, key, chunkSize, cancelAtPart, phase } = inputs();
  const { sdk, bucket, region } = nodeSdk();
  const requests = recordRequests(sdk);
  const params = { Bucket: bucket, Region: region, Key: key, FilePath: file, ChunkSize: chunkSize };
  const result = {};
  if (phase === 'interrupt' || phase === 'both') result.interrupted = await interrupt(sdk, requests, params, cancelAtPart);
  if (phase === 'resume' || phase === 'both') result.resumed = await resume(sdk, requests, params);
  return result;
});
