'use strict';
// cos-wx-sdk-v5 postObject (POST Object through wx.uploadFile): the form has
// no policy; the SDK sends its request signature as the Signature field and
// as the Authorization header.
// Inputs: {file, key, contentType, meta: {name: value}}.

const { call, inputs, recordRequests, run } = require('./lib/scenario');
const { wxSdk } = require('./lib/wx_sdk');

run(async () => {
  const { file, key, contentType, meta } = inputs();
  const { sdk, bucket, region } = wxSdk();
  const requests = recordRequests(sdk);
  const params = { Bucket: bucket, Region: region, Key: key, FilePath: file, ContentType: contentType };
  Object.entries(meta || {}).forEach(([name, value]) => (params[`x-cos-meta-${name}`] = value));
  const data = await call(sdk, 'postObject', params);
  return {
    statusCode: data.statusCode,
    etag: data.ETag,
    location: data.Location,
    operations: requests.map((request) => request.operation),
  };
});
