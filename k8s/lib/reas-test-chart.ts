import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { API } from './chart-defaults.js';
import { names } from './labels.js';
import { TestPod } from './test-pod.js';

export interface ReasTestChartProps {
  /** Release name of the deployment under test. @default 'reas' */
  readonly release?: string;
  /** Its namespace. @default 'reas' */
  readonly namespace?: string;
  /** Application version: test image tag and version label. @default '0.1.0' */
  readonly version?: string;
  /** Test image. @default `<test.image.repository>:<version>` */
  readonly testImage?: string;
}

/**
 * The `helm test` counterpart, a chart of its own so it lands in its own file (dist/test/): applying the deployment
 * must not start a test before the API is up.
 */
export class ReasTestChart extends Chart {
  public readonly test: TestPod;

  constructor(scope: Construct, id: string, props: ReasTestChartProps = {}) {
    super(scope, id, { namespace: props.namespace ?? 'reas', disableResourceNameHashes: true });
    const release = props.release ?? 'reas';
    this.test = new TestPod(this, 'test', {
      release,
      version: props.version ?? '0.1.0',
      ...(props.testImage ? { image: props.testImage } : {}),
      baseUrl: `http://${names.api(release)}:${API.service.port}`,
    });
  }
}
