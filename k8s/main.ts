/**
 * Synthesizes the manifests: `npm run synth` (or `cdk8s synth` in k8s/) writes dist/reas.k8s.yaml (the deployment)
 * and dist/test/reas-test.k8s.yaml (the e2e test Pod). Settings are the chart's defaults; see lib/reas-chart.ts.
 */
import { join } from 'node:path';
import { App } from 'cdk8s';
import { ReasChart } from './lib/reas-chart.js';
import { ReasTestChart } from './lib/reas-test-chart.js';

const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
const app = new App({ outdir, recordConstructMetadata: false });
new ReasChart(app, 'reas');
app.synth();

const tests = new App({ outdir: join(outdir, 'test'), recordConstructMetadata: false });
new ReasTestChart(tests, 'reas-test');
tests.synth();
