import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/engine/build/registry-manifest.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseImageReference', () => {
  it('splits host, repository and tag', () => {
    expect(parseImageReference('127.0.0.1:5000/hoist/shop-web:0123abc')).toEqual({ host: '127.0.0.1:5000', repository: 'hoist/shop-web', tag: '0123abc' });
    expect(parseImageReference('registry.example.com/acme/api')).toEqual({ host: 'registry.example.com', repository: 'acme/api', tag: 'latest' });
  });

  it('reads Docker Hub names as the registry does', () => {
    expect(parseImageReference('postgres:16')).toEqual({ host: 'docker.io', repository: 'library/postgres', tag: '16' });
    expect(parseImageReference('bitnami/redis')).toEqual({ host: 'docker.io', repository: 'bitnami/redis', tag: 'latest' });
  });

  it('asks for the digest of a pinned reference, with or without the tag beside it', () => {
    expect(parseImageReference(`127.0.0.1:5000/hoist/shop-web@${DIGEST}`)).toEqual({ host: '127.0.0.1:5000', repository: 'hoist/shop-web', tag: DIGEST });
    expect(parseImageReference(`127.0.0.1:5000/hoist/shop-web:0123abc@${DIGEST}`)).toEqual({ host: '127.0.0.1:5000', repository: 'hoist/shop-web', tag: DIGEST });
    expect(parseImageReference(`postgres:16.4@${DIGEST}`)).toEqual({ host: 'docker.io', repository: 'library/postgres', tag: DIGEST });
    expect(parseImageReference(`localhost:5000/x@${DIGEST}`)).toEqual({ host: 'localhost:5000', repository: 'x', tag: DIGEST });
  });
});
