import { App, type AppProps } from 'aws-cdk-lib';
import { cdkJsonFeatureFlags } from '../../infra/feature-flags.js';

/**
 * An App for template tests: cdk.json's feature flags (the ones `cdk deploy` uses) and no bundling
 * (these tests look at the template; esbuild runs in `cdk synth`).
 */
export function testApp(props: AppProps = {}): App {
  return new App({
    ...props,
    context: { ...cdkJsonFeatureFlags(), 'aws:cdk:bundling-stacks': [], ...props.context },
  });
}
