import { ApiObject, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { names, standardLabels } from './labels.js';
import { RESTRICTED_CONTAINER, addPodSpecPatches } from './pod-extras.js';

export interface TestJobProps {
  /** Release name: the Job is `<release>-test` and carries the release's instance label. */
  readonly release: string;
  /** Application version: the app.kubernetes.io/version label and the default image tag. */
  readonly version: string;
  /** Test image (Dockerfile target `test`). @default `reas-test:<version>` */
  readonly image?: string;
  /** Base URL of the API under test. */
  readonly baseUrl: string;
  /** Command of the test container. @default the e2e suite: mocha with test/e2e/.mocharc.json */
  readonly command?: readonly string[];
  /** Seconds before the Job is stopped as failed. @default 300 */
  readonly activeDeadlineSeconds?: number;
}

/**
 * The e2e suite as a one-shot Job against a running release: the cdk8s counterpart of `helm test`. It runs once;
 * `kubectl delete job <release>-test` before applying it again.
 */
export class TestJob extends Construct {
  /** The Job's name, for `kubectl wait --for=condition=complete job/<name>` and `kubectl logs job/<name>`. */
  public readonly jobName: string;

  constructor(scope: Construct, id: string, props: TestJobProps) {
    super(scope, id);
    this.jobName = names.test(props.release);
    // name `reas` + component `test`: the labels the Redis NetworkPolicy admits besides the API.
    const labels = standardLabels({ name: 'reas', instance: props.release, version: props.version, component: 'test' });
    const job = new kplus.Job(this, 'job', {
      metadata: { name: this.jobName, labels },
      podMetadata: { labels },
      // A failed test is an answer, not a flake to retry.
      backoffLimit: 0,
      activeDeadline: Duration.seconds(props.activeDeadlineSeconds ?? 300),
      restartPolicy: kplus.RestartPolicy.NEVER,
      automountServiceAccountToken: false,
      // uid/gid of the test image (Dockerfile target `test`).
      securityContext: { ensureNonRoot: true, user: 1000, group: 1000 },
      containers: [
        {
          name: 'test',
          image: props.image ?? `reas-test:${props.version}`,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: [...(props.command ?? ['node', 'node_modules/mocha/bin/mocha.js', '--config', 'test/e2e/.mocharc.json'])],
          envVariables: {
            BASE_URL: kplus.EnvValue.fromValue(props.baseUrl),
            // npm and mocha write caches under $HOME; /tmp is the only writable place.
            HOME: kplus.EnvValue.fromValue('/tmp'),
          },
          resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) } },
          securityContext: RESTRICTED_CONTAINER,
        },
      ],
    });
    (job.containers[0] as kplus.Container).mount('/tmp', kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(256) }));
    addPodSpecPatches(ApiObject.of(job));
  }
}
