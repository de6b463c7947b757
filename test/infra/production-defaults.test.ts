import { readFileSync } from 'node:fs';
import { CfnResource, type Stack, TagManager } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { cdkJsonFeatureFlags } from '../../infra/feature-flags.js';
import { synthStack } from '../support/synth.js';

const recommended = JSON.parse(
  readFileSync(
    new URL('../../node_modules/aws-cdk-lib/recommended-feature-flags.json', import.meta.url),
    'utf8',
  ),
) as Record<string, unknown>;

describe('feature flags (cdk.json)', () => {
  it("are the installed aws-cdk-lib's recommended flags, each with its recommended value", () => {
    // On an aws-cdk-lib upgrade this fails for each new flag: diff the template with it on before adding
    // it (docs/ARCHITECTURE.md, "Feature flags"), since a flag can replace resources.
    expect(cdkJsonFeatureFlags()).toEqual(recommended);
  });

  it('are all flags aws-cdk-lib knows (no misspelt flag silently ignored)', () => {
    const known = new Set(Object.keys(cxapi.FLAGS));
    expect(Object.keys(cdkJsonFeatureFlags()).filter((flag) => !known.has(flag))).toEqual([]);
  });
});

describe('the example configurations', () => {
  it('cdk.json holds only what a first deploy needs: the Campaign client ids', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
    expect(cdkJson.context.campaignEvents).toEqual({ campaign: { clientIds: [expect.any(Number)] } });
  });

  it('examples/full-config.json turns every alert route on and synthesizes', () => {
    const full = JSON.parse(
      readFileSync(new URL('../../examples/full-config.json', import.meta.url), 'utf8'),
    );
    const { template } = synthStack(full);
    template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 1);
    expect(
      Object.keys(template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } }))
        .length,
    ).toBeGreaterThan(0);
  });
});

describe('termination protection', () => {
  it('is on by default', () => {
    expect(synthStack().stack.terminationProtection).toBe(true);
  });

  it('can be turned off (terminationProtection: false), e.g. for a short-lived test stack', () => {
    expect(synthStack({ terminationProtection: false }).stack.terminationProtection).toBe(false);
  });
});

describe('tags', () => {
  /** Every resource CloudFormation can tag, with the tags it will carry. */
  function taggedResources(stack: Stack) {
    return stack.node
      .findAll()
      .filter((construct): construct is CfnResource => construct instanceof CfnResource)
      .filter((resource) => TagManager.isTaggable(resource))
      .map((resource) => ({
        path: resource.node.path,
        tags: Object.fromEntries(toPairs(resource.tags.renderTags())),
      }));
  }

  function toPairs(rendered: unknown): Array<[string, string]> {
    if (Array.isArray(rendered))
      return rendered.map((tag: { Key?: string; key?: string; Value?: string; value?: string }) => [
        tag.Key ?? tag.key ?? '',
        tag.Value ?? tag.value ?? '',
      ]);
    return Object.entries((rendered ?? {}) as Record<string, string>);
  }

  it('mark every taggable resource with the project and its data classification', () => {
    const { stack } = synthStack();
    const resources = taggedResources(stack);
    expect(resources.length).toBeGreaterThan(20);
    for (const { path, tags } of resources) {
      expect(tags, path).toMatchObject({
        project: 'campaign-events',
        'data-classification': 'personal-data',
      });
    }
  });

  it("take the deployer's own tags, which can override the defaults", () => {
    const { stack } = synthStack({
      tags: { 'cost-center': 'crm-42', 'data-classification': 'confidential' },
    });
    for (const { path, tags } of taggedResources(stack)) {
      expect(tags, path).toMatchObject({ 'cost-center': 'crm-42', 'data-classification': 'confidential' });
    }
  });
});
