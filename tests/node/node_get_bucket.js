'use strict';
// cos-nodejs-sdk-v5: getBucket, page by page (Marker / NextMarker), with a prefix
// and optionally a delimiter.
// Inputs: {prefix, delimiter, maxKeys}.

const { call, inputs, run } = require('./lib/scenario');
const { nodeSdk } = require('./lib/node_sdk');

run(async () => {
  const { prefix, delimiter, maxKeys } = inputs();
  const { sdk, bucket, region } = nodeSdk();
  const pages = [];
  let marker;
  for (;;) {
    const page = await call(sdk, 'getBucket', {
      Bucket: bucket,
      Region: region,
      Prefix: prefix,
      Delimiter: delimiter,
      MaxKeys: maxKeys,
      Marker: marker,
    });
    pages.push({
      keys: page.Contents.map((item) => item.Key),
      commonPrefixes: page.CommonPrefixes.map((item) => item.Prefix),
      isTruncated: page.IsTruncated,
      nextMarker: page.NextMarker || null,
    });
    if (page.IsTruncated !== 'true') break;
    // COS gives NextMarker only with a delimiter; otherwise the last key is the marker.
    marker = page.NextMarker || page.Contents[page.Contents.length - 1].Key;
    if (pages.length > 100) throw new Error('getBucket keeps saying IsTruncated');
  }
  const last = await call(sdk, 'getBucket', { Bucket: bucket, Region: region, Prefix: prefix });
  return {
    pages,
    objects: last.Contents.map((item) => ({ key: item.Key, size: Number(item.Size), etag: item.ETag })),
  };
});
