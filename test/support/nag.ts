import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type App, type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { testApp } from './app.js';

interface ValidationReport {
  pluginReports: Array<{
    violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

/**
 * Synthesizes whatever `build` puts in a fresh App with the cdk-nag AwsSolutions and Serverless packs,
 * and returns every unacknowledged finding as "<rule> at <construct path>" (empty when clean).
 */
export function nagFindings(build: (app: App) => Stack | undefined): string[] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'nag-'));
  try {
    const app = testApp({ outdir });
    build(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    try {
      app.synth();
      return [];
    } catch (error) {
      const reportFile = path.join(outdir, 'validation-report.json');
      let report: ValidationReport;
      try {
        report = JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport;
      } catch {
        throw error;
      }
      return report.pluginReports.flatMap((plugin) =>
        plugin.violations.flatMap((violation) =>
          violation.violatingConstructs.map(
            (construct) => `${violation.ruleName} at ${construct.constructPath}`,
          ),
        ),
      );
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
