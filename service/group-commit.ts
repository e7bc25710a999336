import type { Redis } from './redis.js';
import type { Metrics } from './metrics.js';
import { AppError } from './errors.js';
import { classifyRedisError, toAppError } from './redis-errors.js';

/** One replica as the primary's ROLE lists it: only replicas in the `online` state appear there. */
export interface ReplicaAck {
  /** "ip:port", as Sentinel names the replica too (both take it from the primary). */
  readonly address: string;
  /** The replication offset the replica last acknowledged. */
  readonly ackOffset: number;
}

/** The primary's ROLE reply. */
export interface PrimaryRole {
  readonly role: string;
  /** The primary's replication offset when ROLE ran. */
  readonly offset: number;
  readonly replicas: readonly ReplicaAck[];
}

/**
 * Which replicas must hold a write before it is answered 200. `target` is the primary's offset
 * taken right after the batch's writes (so a replica whose acknowledged offset reached it has them),
 * `role` the primary's view after WAIT, `acked` what WAIT returned.
 */
export interface DurabilityPolicy {
  readonly name: string;
  /** WAIT's numreplicas for the first round, from the previous batch's view; 0 answers without WAIT. */
  firstNeed(previous: PrimaryRole | undefined): number;
  durable(role: PrimaryRole, acked: number, target: number): boolean;
  /** WAIT's numreplicas for the next round after a round that was not durable. */
  nextNeed(role: PrimaryRole, acked: number): number;
}

/** What the durability rule needs from the Sentinels (replication.ts's SentinelView). */
export interface PromotionView {
  /**
   * One entry per failover a Sentinel is leading: the run id of the replica it promotes, '' while it has
   * not chosen one (or its run id is unknown).
   */
  readonly failovers: ReadonlySet<string>;
  readonly candidates: ReadonlySet<string>;
  readonly neverPromoted: ReadonlySet<string>;
  /** The run id a Sentinel last read from each replica it lists. */
  readonly runIds: ReadonlyMap<string, string>;
}

/**
 * The production rule (docs/ha.md): the batch must be acknowledged by every replica Sentinel might
 * promote, and there must be at least one: the replicas in sync with the primary (listed by ROLE)
 * and those a Sentinel reaches and could promote although the primary no longer lists them (one
 * cut off from the primary, or just promoted by a failover), less those with replica-priority 0.
 * Nothing is acknowledged while a Sentinel is failing the master over, except on the replica that
 * failover promotes (`primaryRunId`, the run id of the Redis the writes go to): once the Sentinels
 * name it, the leader only re-points the other replicas, which acknowledge it like any other replica,
 * and waiting for the leader's end (its next INFO round, up to a second) would only lengthen the outage.
 */
export function promotableInSync(view: () => PromotionView, primaryRunId: () => string | undefined = () => undefined): DurabilityPolicy {
  const required = (role: PrimaryRole, sentinels: PromotionView): Set<string> => {
    // A Sentinel's answer from before a failover (or from a Sentinel gone since, kept for its TTL) lists the
    // promoted replica as a candidate: the primary the writes go to, which cannot lack them.
    const self = primaryRunId();
    const addresses = new Set([...sentinels.candidates].filter((address) => self === undefined || sentinels.runIds.get(address) !== self));
    for (const replica of role.replicas) if (!sentinels.neverPromoted.has(replica.address)) addresses.add(replica.address);
    return addresses;
  };
  return {
    name: 'every replica Sentinel might promote',
    firstNeed: (previous) => (previous === undefined ? 1 : Math.max(1, required(previous, view()).size)),
    durable(role, _acked, target) {
      const sentinels = view();
      if (role.role !== 'master') return false;
      if (sentinels.failovers.size > 0) {
        const self = primaryRunId();
        if (self === undefined || [...sentinels.failovers].some((promoted) => promoted !== self)) return false;
      }
      const addresses = required(role, sentinels);
      const acks = new Map(role.replicas.map((replica) => [replica.address, replica.ackOffset]));
      return addresses.size > 0 && [...addresses].every((address) => (acks.get(address) ?? -1) >= target);
    },
    // One more acknowledgement than WAIT saw: WAIT then blocks (which makes the primary ask every
    // replica for a fresh acknowledgement) instead of returning at once with the same answer.
    nextNeed: (_role, acked) => acked + 1,
  };
}

/** WAIT for a fixed number of replicas: a negative control for the tests (WAIT 1, WAIT 2), never a production setting. */
export function fixedReplicaCount(count: number): DurabilityPolicy {
  return {
    name: `WAIT ${count}`,
    firstNeed: () => count,
    durable: (role, acked) => role.role === 'master' && acked >= count,
    nextNeed: () => count,
  };
}

/** No WAIT at all, as plain asynchronous replication: a negative control for the tests. */
export const noWait: DurabilityPolicy = {
  name: 'no WAIT',
  firstNeed: () => 0,
  durable: () => true,
  nextNeed: () => 0,
};

export function parseRole(reply: unknown): PrimaryRole {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw new Error(`unexpected ROLE reply: ${JSON.stringify(reply)}`);
  if (reply[0] !== 'master') return { role: reply[0], offset: -1, replicas: [] };
  const replicas = (reply[2] as unknown[][]).map((entry) => ({
    address: `${String(entry[0])}:${String(entry[1])}`,
    ackOffset: Number(entry[2]),
  }));
  return { role: 'master', offset: Number(reply[1]), replicas };
}

export interface GroupCommitOptions {
  /** A connection of its own: WAIT blocks it. */
  readonly redis: Redis;
  readonly key: string;
  readonly timeoutMs: number;
  readonly policy: DurabilityPolicy;
  readonly metrics: Metrics;
  /**
   * The longest single WAIT. A replica that dies leaves the primary's list at once, but a WAIT already
   * waiting for it only returns at its timeout: this bounds what a replica's death costs a batch.
   * @default 100
   */
  readonly waitSliceMs?: number;
}

type Op = {
  readonly command: 'incr' | 'decr';
  readonly deadline: number;
  readonly resolve: (value: string) => void;
  readonly reject: (error: AppError) => void;
  readonly timer: NodeJS.Timeout;
  settled: boolean;
  sent: boolean;
  /** The INCR/DECR reply, once Redis has applied it. */
  value?: string;
};

export interface GroupCommit {
  increment(): Promise<string>;
  decrement(): Promise<string>;
  /** Answers what is queued and still unsent with REDIS_UNAVAILABLE (nothing was sent) and stops. */
  close(): void;
}

const retryAfter = { 'Retry-After': '1' };

export function notReplicated(timeoutMs: number, cause?: unknown): AppError {
  return new AppError(
    'REDIS_NOT_REPLICATED',
    `Redis applied the change but its replicas did not confirm it within ${timeoutMs} ms; it may have been applied`,
    { cause, headers: retryAfter },
  );
}

function notSent(timeoutMs: number): AppError {
  return new AppError('REDIS_UNAVAILABLE', `Redis is unavailable: no write could be sent within ${timeoutMs} ms; nothing was applied`, {
    headers: retryAfter,
  });
}

/**
 * Group commit: the increments asked for while a batch is in flight go out together as the next
 * batch, followed by one WAIT that covers them all, with one batch in flight at a time. A batch is
 * one pipeline, [INCR/DECR..., ROLE, WAIT, ROLE]: the first ROLE gives the primary's offset right
 * after the batch's writes (the target every required replica must reach), the second which
 * replicas acknowledged how far. Rounds of WAIT + ROLE follow until the policy is satisfied or
 * the earliest deadline in the batch has passed.
 */
export function createGroupCommit({ redis, key, timeoutMs, policy, metrics, waitSliceMs = 100 }: GroupCommitOptions): GroupCommit {
  let queue: Op[] = [];
  let inFlight = false;
  let closed = false;
  let lastRole: PrimaryRole | undefined;

  function settle(op: Op, outcome: { value: string } | { error: AppError; kind: string }): void {
    if (op.settled) return;
    op.settled = true;
    clearTimeout(op.timer);
    if ('value' in outcome) {
      op.resolve(outcome.value);
    } else {
      metrics.redisErrors.inc({ kind: outcome.kind });
      op.reject(outcome.error);
    }
  }

  function onDeadline(op: Op): void {
    if (op.settled) return;
    if (!op.sent) {
      // Never sent: taking it out of the queue guarantees it never will be.
      queue = queue.filter((queued) => queued !== op);
      settle(op, { error: notSent(timeoutMs), kind: 'unavailable' });
    } else if (op.value !== undefined) {
      settle(op, { error: notReplicated(timeoutMs), kind: 'not_replicated' });
    } else {
      settle(op, { error: toAppError('timeout', key, timeoutMs, undefined), kind: 'timeout' });
    }
  }

  function enqueue(command: 'incr' | 'decr'): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (closed) {
        reject(notSent(timeoutMs));
        return;
      }
      const op: Op = {
        command,
        deadline: Date.now() + timeoutMs,
        resolve,
        reject,
        settled: false,
        sent: false,
        timer: setTimeout(() => setImmediate(() => onDeadline(op)), timeoutMs),
      };
      queue.push(op);
      if (!inFlight) void flush();
    });
  }

  async function flush(): Promise<void> {
    inFlight = true;
    try {
      while (queue.length > 0 && !closed) {
        const batch = queue;
        queue = [];
        await commit(batch);
      }
    } finally {
      inFlight = false;
    }
  }

  async function commit(batch: Op[]): Promise<void> {
    const deadline = Math.min(...batch.map((op) => op.deadline));
    const slice = () => Math.max(1, Math.min(waitSliceMs, deadline - Date.now()));
    const need = policy.firstNeed(lastRole);
    const pipeline = redis.pipeline();
    for (const op of batch) {
      op.sent = true;
      pipeline[op.command](key);
    }
    if (need > 0) pipeline.role().wait(need, slice()).role();

    let results: Array<[Error | null, unknown]>;
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (error) {
      const kind = classifyRedisError(error);
      for (const op of batch) settle(op, { error: toAppError(kind, key, timeoutMs, error), kind });
      return;
    }

    const applied: Op[] = [];
    batch.forEach((op, index) => {
      const [error, value] = results[index] ?? [new Error('Connection is closed.'), null];
      if (error !== null) {
        const kind = classifyRedisError(error);
        settle(op, { error: toAppError(kind, key, timeoutMs, error), kind });
      } else {
        op.value = String(value);
        applied.push(op);
      }
    });
    if (applied.length === 0) return;
    const succeed = () => applied.forEach((op) => settle(op, { value: op.value as string }));
    if (need === 0) return succeed();

    const fail = (cause?: unknown) => applied.forEach((op) => settle(op, { error: notReplicated(timeoutMs, cause), kind: 'not_replicated' }));
    try {
      const [targetError, targetReply] = results[batch.length] as [Error | null, unknown];
      const [waitError, waitReply] = results[batch.length + 1] as [Error | null, unknown];
      const [roleError, roleReply] = results[batch.length + 2] as [Error | null, unknown];
      const firstError = targetError ?? waitError ?? roleError;
      if (firstError !== null) return fail(firstError);
      const target = parseRole(targetReply).offset;
      let acked = Number(waitReply);
      let role = parseRole(roleReply);
      lastRole = role;
      while (!policy.durable(role, acked, target)) {
        if (Date.now() >= deadline || applied.every((op) => op.settled) || closed) return fail();
        const round = ((await redis.pipeline().wait(policy.nextNeed(role, acked), slice()).role().exec()) ?? []) as Array<[Error | null, unknown]>;
        const [waitFailed, waited] = round[0] ?? [new Error('Connection is closed.'), null];
        const [roleFailed, roleAgain] = round[1] ?? [new Error('Connection is closed.'), null];
        if (waitFailed !== null || roleFailed !== null) return fail(waitFailed ?? roleFailed);
        acked = Number(waited);
        role = parseRole(roleAgain);
        lastRole = role;
      }
      succeed();
    } catch (error) {
      fail(error);
    }
  }

  return {
    increment: () => enqueue('incr'),
    decrement: () => enqueue('decr'),
    close() {
      closed = true;
      const unsent = queue;
      queue = [];
      for (const op of unsent) settle(op, { error: notSent(timeoutMs), kind: 'unavailable' });
    },
  };
}
