'use strict';
// cos-nodejs-sdk-v5: deleteObject an object, headObject it (now missing), and
// deleteObject a key that never existed (succeeds on COS).
// Inputs: {key, missingKey}.

const { call, inputs, run, settle } = require('./lib/scenario');
const { nodeSdk } = require('./lib/node_sdk');

run(async () => {
  const { key, missingKey } = inputs();
  const { sdk, bucket, region } = nodeSdk();
  const deleted = await call(sdk, 'deleteObject', { Bucket: bucket, Region: region, Key: key });
  const headAfter = await settle(sdk, 'headObject', { Bucket: bucket, Region: region, Key: key });
  const deletedMissing = await call(sdk, 'deleteObject', { Bucket: bucket, Region: region, Key: missingKey });
  return {
    deleteStatus: deleted.statusCode,
    headAfterDelete: headAfter.error || { statusCode: headAfter.data.statusCode },
    deleteMissingStatus: deletedMissing.statusCode,
  };
});
