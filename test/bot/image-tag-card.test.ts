import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/bot/grammar.ts';
import { renderCard, renderCardText } from '../../src/bot/render/deployment-card.ts';
import type { ServiceSpec, TagCheck } from '../../src/domain/deployment-set.ts';
import { deployment, sectionText, service, slackMention } from './render-fixtures.ts';

const DIGEST = `sha256:${'0123456789ab'.repeat(5)}abcd`;

function taggedDeploy(tagCheck: TagCheck) {
  const spec: ServiceSpec = {
    name: 'db', type: 'database', version: 'postgres:16.4', image: 'postgres:16.4', build: null, port: 5432, expose: null,
    env: {}, command: null, replicas: 1, health: null, schedule: null, storage: null, tagCheck,
  };
  return deployment({
    ref: '16.4',
    sha: null,
    services: [service({ name: 'db', type: 'database', version: 'postgres:16.4', previousVersion: 'postgres:16' })],
    deploymentSet: { target: 'engine', namespace: 'shop-staging', services: [spec] },
  });
}

describe('the card of a deploy at an image tag', () => {
  it('shows the tag and the digest it resolved to', () => {
    const d = taggedDeploy({ status: 'resolved', digest: DIGEST });
    expect(sectionText(renderCard(d, { now: new Date(), mention: slackMention }).blocks[1])).toContain('`16.4` → `sha256:0123456789ab`');
    expect(renderCardText(d, { now: new Date(), mention: (id) => id })).toContain('ref 16.4 → sha256:0123456789ab');
  });

  it('says the tag was not checked when the registry could not be asked', () => {
    const d = taggedDeploy({ status: 'unchecked', reason: 'registry.example.com could not be asked: ECONNREFUSED' });
    expect(sectionText(renderCard(d, { now: new Date(), mention: slackMention }).blocks[1])).toContain('`16.4` · _tag not checked: registry.example.com could not be asked: ECONNREFUSED_');
    expect(renderCardText(d, { now: new Date(), mention: (id) => id })).toContain('ref 16.4 (tag not checked: registry.example.com could not be asked: ECONNREFUSED)');
  });
});

describe('grammar: a digest as the ref', () => {
  it('reads `deploy shop/db@sha256:…` (the service tells whether it names an image)', () => {
    expect(parseCommand(`deploy shop/db@${DIGEST} to staging`)).toMatchObject({ ok: true, command: { verb: 'deploy', ref: DIGEST } });
  });
});
