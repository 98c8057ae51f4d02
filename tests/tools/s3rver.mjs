// s3rver.mjs DIR ACCESS_KEY_ID SECRET_ACCESS_KEY [BUCKET...] — an S3 server
// that verifies SigV4 signatures (the npm package @20minutes/s3rver, pinned in
// package.json), for the tests. It serves 127.0.0.1 on a port the kernel picks,
// keeps objects under DIR, accepts requests signed with the given key pair
// only (plus s3rver's built-in S3RVER/S3RVER pair, which tests do not use),
// creates the buckets, and prints "S3RVER_URL=http://127.0.0.1:PORT" once it
// listens. Every request is logged to stdout; SIGTERM stops it.
import S3rver from '@20minutes/s3rver';
import AWSAccount from '@20minutes/s3rver/lib/models/account.js';

const [dir, keyId, secret, ...buckets] = process.argv.slice(2);
if (!dir || !keyId || !secret) {
  console.error('usage: s3rver.mjs DIR ACCESS_KEY_ID SECRET_ACCESS_KEY [BUCKET...]');
  process.exit(2);
}
AWSAccount.DUMMY_ACCOUNT.createKeyPair(keyId, secret);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: false,
  allowMismatchedSignatures: false,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
});
const addr = await server.run();
console.log(`S3RVER_URL=http://127.0.0.1:${addr.port}`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
