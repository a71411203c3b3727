// Unit tests of js/push.js under Node's own runner: the server's base64url
// VAPID key becomes the bytes PushManager.subscribe wants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { keyBytes } from '../js/push.js';

test('a base64url key of any length decodes to its bytes', () => {
  for (const length of [1, 2, 3, 16, 64, 65]) {
    const bytes = crypto.randomBytes(length);
    assert.deepEqual(Buffer.from(keyBytes(bytes.toString('base64url'))), bytes);
  }
});

test('a P-256 public key is 65 bytes starting with 0x04', () => {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  const key = keyBytes(ecdh.getPublicKey().toString('base64url'));
  assert.equal(key.length, 65);
  assert.equal(key[0], 4);
});
