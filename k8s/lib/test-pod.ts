import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { TEST, containerResources, imageRef } from './chart-defaults.js';
import { names, standardLabels } from './labels.js';
import { RESTRICTED_CONTAINER } from './pod-extras.js';

export interface TestPodProps {
  /** Release name: the Pod is `<release>-test` and carries the release's instance label. */
  readonly release: string;
  /** Application version: the app.kubernetes.io/version label and the default image tag. */
  readonly version: string;
  /** Test image (Dockerfile target `test`). @default `<test.image.repository>:<version>` */
  readonly image?: string;
  /** Base URL of the API under test. */
  readonly baseUrl: string;
  /** Command of the test container. @default `test.command` (the e2e suite) */
  readonly command?: readonly string[];
  /** Seconds before the Pod is stopped as failed. @default `test.activeDeadlineSeconds` */
  readonly activeDeadlineSeconds?: number;
}

/**
 * The e2e suite as a one-shot Pod against a running release: the cdk8s counterpart of the `helm test` hook Pod. It
 * runs once; `kubectl delete pod <release>-test` before applying it again.
 */
export class TestPod extends Construct {
  /** The Pod's name, for `kubectl wait --for=jsonpath='{.status.phase}'=Succeeded pod/<name>` and `kubectl logs`. */
  public readonly podName: string;

  constructor(scope: Construct, id: string, props: TestPodProps) {
    super(scope, id);
    this.podName = names.test(props.release);
    // name `reas` + component `test`: the labels the Redis NetworkPolicy admits besides the API.
    const labels = standardLabels({ name: 'reas', instance: props.release, version: props.version, component: 'test' });
    const pod = new kplus.Pod(this, 'pod', {
      metadata: { name: this.podName, labels },
      // A failed test is an answer, not a flake to retry.
      restartPolicy: kplus.RestartPolicy.NEVER,
      automountServiceAccountToken: false,
      // uid/gid of the test image (Dockerfile target `test`).
      securityContext: { ensureNonRoot: true, user: 1000, group: 1000 },
      containers: [
        {
          name: 'test',
          image: props.image ?? imageRef(TEST.image, props.version),
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: [...(props.command ?? TEST.command)],
          envVariables: {
            BASE_URL: kplus.EnvValue.fromValue(props.baseUrl),
            // tsx caches the compiled suite under /tmp, the only writable place; HOME points there too.
            HOME: kplus.EnvValue.fromValue('/tmp'),
          },
          resources: containerResources(TEST.resources),
          securityContext: RESTRICTED_CONTAINER,
        },
      ],
    });
    (pod.containers[0] as kplus.Container).mount('/tmp', kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(256) }));
    // A Pod's spec is at /spec, not /spec/template/spec as addPodSpecPatches assumes for workloads; kplus.Pod has no
    // activeDeadlineSeconds property.
    ApiObject.of(pod).addJsonPatch(
      JsonPatch.add('/spec/enableServiceLinks', false),
      JsonPatch.add('/spec/securityContext/seccompProfile', kplus.k8s.toJson_SeccompProfile({ type: 'RuntimeDefault' })),
      JsonPatch.add('/spec/activeDeadlineSeconds', Duration.seconds(props.activeDeadlineSeconds ?? TEST.activeDeadlineSeconds).toSeconds()),
    );
  }
}
