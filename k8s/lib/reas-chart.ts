import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { Api, type ApiAutoscaling } from './api.js';
import { API } from './chart-defaults.js';
import { Redis, type RedisPasswordSecret, type RedisPersistence } from './redis.js';
import { RedisReplication, type RedisSentinelSettings } from './redis-replication.js';

/** A Redis outside the release (the chart's `global.externalRedis`). */
export interface ExternalRedis {
  /** redis:// URL without credentials. */
  readonly url: string;
  /** The Secret holding its password; none for a Redis without one. @default none */
  readonly passwordSecret?: RedisPasswordSecret;
}

/** Settings of the whole deployment; each mirrors a chart value (see README, cdk8s). */
export interface ReasChartProps {
  /** Release name (`helm install <release>`). @default 'reas' */
  readonly release?: string;
  /** Namespace every object is written into. @default 'reas' */
  readonly namespace?: string;
  /** Application version (Chart appVersion): image tags and the version label. @default '0.1.0' */
  readonly version?: string;
  /** API image. @default `<api.image.repository>:<version>` */
  readonly apiImage?: string;
  /** API replicas. @default `api.replicaCount` */
  readonly apiReplicas?: number;
  /** API autoscaling (`api.autoscaling`); undefined = off. @default off */
  readonly apiAutoscaling?: ApiAutoscaling;
  /** Longest API request body in bytes. @default `api.config.maxBodyBytes` */
  readonly apiMaxBodyBytes?: number;
  /** PriorityClass of the API pods (`api.priorityClassName`). @default none */
  readonly apiPriorityClassName?: string;
  /** Redis image. @default `<redis.image.repository>:<redis.image.tag>` */
  readonly redisImage?: string;
  /** Port of the Redis Service, which the API connects to (`global.redis.service.port`). @default `redis.service.port` */
  readonly redisServicePort?: number;
  /** Redis persistence. @default `redis.persistence` */
  readonly redisPersistence?: RedisPersistence;
  /** Redis password Secret; must exist in the namespace (see README). @default `<release>-redis` / `redis.auth.existingSecretPasswordKey` */
  readonly redisPasswordSecret?: RedisPasswordSecret;
  /** Use this Redis instead of deploying one (`global.externalRedis`). @default deploy Redis */
  readonly externalRedis?: ExternalRedis;
  /**
   * `standalone` (one Redis pod) or `replication` (three, with a Sentinel each; the API follows the primary through
   * the Sentinels): the chart's `global.redis.architecture`, see docs/ha.md. @default 'standalone'
   */
  readonly redisArchitecture?: 'standalone' | 'replication';
  /** Sentinel settings in replication mode. @default `redis.sentinel` */
  readonly redisSentinel?: RedisSentinelSettings;
}

/** The reas deployment: composes Redis (unless external) and the API. */
export class ReasChart extends Chart {
  public readonly api: Api;
  public readonly redis?: Redis | RedisReplication;

  constructor(scope: Construct, id: string, props: ReasChartProps = {}) {
    const release = props.release ?? 'reas';
    super(scope, id, { namespace: props.namespace ?? 'reas', disableResourceNameHashes: true });
    const namespace = props.namespace ?? 'reas';
    const version = props.version ?? '0.1.0';
    let redisUrl: string;
    let passwordSecret: RedisPasswordSecret | undefined;
    let redisSentinels: string | undefined;
    if (props.externalRedis && props.redisArchitecture === 'replication') {
      throw new Error('ReasChart: redisArchitecture replication deploys Redis with Sentinels; it cannot be combined with externalRedis');
    }
    if (props.externalRedis) {
      redisUrl = props.externalRedis.url;
      passwordSecret = props.externalRedis.passwordSecret;
    } else if (props.redisArchitecture === 'replication') {
      const redis = new RedisReplication(this, 'redis', {
        release,
        namespace,
        ...(props.redisImage ? { image: props.redisImage } : {}),
        ...(props.redisPersistence ? { persistence: props.redisPersistence } : {}),
        ...(props.redisPasswordSecret ? { passwordSecret: props.redisPasswordSecret } : {}),
        ...(props.redisSentinel ? { sentinel: props.redisSentinel } : {}),
      });
      this.redis = redis;
      redisUrl = redis.url;
      passwordSecret = redis.passwordSecret;
      redisSentinels = redis.sentinels;
    } else {
      this.redis = new Redis(this, 'redis', {
        release,
        ...(props.redisImage ? { image: props.redisImage } : {}),
        ...(props.redisServicePort !== undefined ? { servicePort: props.redisServicePort } : {}),
        ...(props.redisPersistence ? { persistence: props.redisPersistence } : {}),
        ...(props.redisPasswordSecret ? { passwordSecret: props.redisPasswordSecret } : {}),
      });
      redisUrl = this.redis.url;
      passwordSecret = this.redis.passwordSecret;
    }
    this.api = new Api(this, 'api', {
      release,
      version,
      ...(props.apiImage ? { image: props.apiImage } : {}),
      ...(props.apiReplicas !== undefined ? { replicas: props.apiReplicas } : {}),
      ...(props.apiAutoscaling ? { autoscaling: props.apiAutoscaling } : {}),
      ...(props.apiMaxBodyBytes !== undefined ? { maxBodyBytes: props.apiMaxBodyBytes } : {}),
      ...(props.apiPriorityClassName !== undefined ? { priorityClassName: props.apiPriorityClassName } : {}),
      redisUrl,
      ...(passwordSecret ? { redisPasswordSecret: passwordSecret } : {}),
      ...(redisSentinels ? { redisSentinels } : {}),
      pdbMaxUnavailable: API.podDisruptionBudget.maxUnavailable,
    });
  }
}
