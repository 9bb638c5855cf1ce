'use strict';
// cos-nodejs-sdk-v5's task queue: three sliceUploadFile tasks, one file at a
// time. The third is cancelled while it waits; the first is paused as its
// second part goes out, so the second runs; when that is done the first is
// restarted and finishes. getTaskList is read at each step, and every
// 'list-update' / 'task-list-update' event is recorded.
// Inputs: {files: [{file, key}] (three), chunkSize}.

const { inputs, operationsOn, partNumbersSent, recordRequests, run } = require('./lib/scenario');
const { nodeSdk } = require('./lib/node_sdk');

// The task list as [[key, state]], in queue order.
const states = (list) => list.map((task) => [task.Key, task.state]);

function nextEvent(sdk, name, predicate) {
  return new Promise((resolve) => {
    const listener = (event) => {
      if (!predicate(event)) return;
      sdk.off(name, listener);
      resolve(event);
    };
    sdk.on(name, listener);
  });
}

run(async () => {
  const { files, chunkSize } = inputs();
  const { sdk, bucket, region } = nodeSdk({ FileParallelLimit: 1, ChunkParallelLimit: 1 });
  const requests = recordRequests(sdk);
  const [first, second, third] = files.map(({ file, key }) => ({ file, key, id: null, done: null }));

  // Every state each task went through, from the events.
  const seen = {};
  const eventCounts = { 'list-update': 0, 'task-list-update': 0 };
  sdk.on('task-list-update', () => (eventCounts['task-list-update'] += 1));
  sdk.on('list-update', (event) => {
    eventCounts['list-update'] += 1;
    event.list.forEach((task) => {
      const history = (seen[task.Key] = seen[task.Key] || []);
      if (history[history.length - 1] !== task.state) history.push(task.state);
    });
  });

  // Pause the first task as its second part goes out (after the request has started).
  let pausedUploadId = null;
  sdk.on('before-send', (options) => {
    const query = Object.assign({}, options.qs);
    if (pausedUploadId === null && options.url.endsWith(encodeURI(first.key)) && Number(query.partNumber) === 2) {
      pausedUploadId = query.uploadId;
      setImmediate(() => sdk.pauseTask(first.id));
    }
  });

  const queued = nextEvent(sdk, 'list-update', (event) => event.list.length === 3);
  for (const task of [first, second, third]) {
    task.done = new Promise((resolve) => {
      sdk.sliceUploadFile(
        {
          Bucket: bucket,
          Region: region,
          Key: task.key,
          FilePath: task.file,
          ChunkSize: chunkSize,
          onTaskReady: (id) => (task.id = id),
        },
        (err, data) => resolve({ error: err ? err.message : null, uploadId: data ? data.UploadId : null })
      );
    });
  }
  await queued;
  const afterQueued = states(sdk.getTaskList());
  sdk.cancelTask(third.id);
  const afterCancel = states(sdk.getTaskList());

  const paused = await nextEvent(sdk, 'list-update', (event) =>
    event.list.some((task) => task.id === first.id && task.state === 'paused')
  );
  const afterPause = states(paused.list);

  const secondResult = await second.done;
  const afterSecond = states(sdk.getTaskList());
  sdk.restartTask(first.id);
  const afterRestart = states(sdk.getTaskList());
  const firstResult = await first.done;
  // The queue's last word comes in an event after the callbacks.
  const settled = await nextEvent(sdk, 'list-update', (event) =>
    event.list.every((task) => !['waiting', 'checking', 'uploading'].includes(task.state))
  );

  return {
    snapshots: { afterQueued, afterCancel, afterPause, afterSecond, afterRestart, final: states(settled.list) },
    statesSeen: seen,
    eventCounts,
    first: Object.assign({ pausedUploadId }, firstResult, {
      operations: operationsOn(requests, first.key),
      partsSent: partNumbersSent(requests, first.key),
    }),
    second: Object.assign({}, secondResult, { partsSent: partNumbersSent(requests, second.key) }),
    third: { operations: operationsOn(requests, third.key) },
  };
});
