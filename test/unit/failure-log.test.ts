import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createFailureLog } from '../../service/failure-log.js';
import { createLogger } from '../../service/logger.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createFailureLog', () => {
  let lines: Array<{ msg: string; code?: string; count?: number; err?: unknown }>;
  const logger = () =>
    createLogger('info', {
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
          done();
        },
      }),
    });
  beforeEach(() => {
    lines = [];
  });

  it('logs the first failure whole and counts the rest of the window into one line', async () => {
    const failures = createFailureLog(logger(), 100);
    for (let i = 0; i < 50; i++) failures.failed('REDIS_UNAVAILABLE', { err: new Error('down') }, 'unavailable');
    expect(lines).to.have.length(1);
    expect(lines[0]?.err).to.be.an('object');
    await sleep(150);
    expect(lines).to.have.length(2);
    expect(lines[1]).to.include({ code: 'REDIS_UNAVAILABLE', count: 49 });
    expect(lines[1]?.err).to.equal(undefined);
    failures.flush();
  });

  it('writes only summaries while the failures go on, and logs whole again after a quiet window', async () => {
    const failures = createFailureLog(logger(), 300);
    const until = async (count: number) => {
      while (lines.length < count) await sleep(5);
    };
    // Each batch goes in right after a summary, early in the window that summary opened.
    for (let i = 0; i < 5; i++) failures.failed('X', {}, 'x');
    await until(2);
    for (let i = 0; i < 5; i++) failures.failed('X', {}, 'x');
    await until(3);
    expect(lines.map((l) => l.count)).to.deep.equal([undefined, 4, 5]);
    // A window without failures ends the outage: nothing is written for it.
    await sleep(700);
    expect(lines).to.have.length(3);
    failures.failed('X', {}, 'x');
    expect(lines.at(-1)?.count).to.equal(undefined);
    failures.flush();
  });

  it('keeps codes apart and writes pending counts on flush', () => {
    const failures = createFailureLog(logger(), 10_000);
    for (const code of ['A', 'B', 'A', 'B', 'B']) failures.failed(code, {}, code);
    failures.flush();
    expect(lines.map((l) => [l.code ?? l.msg, l.count])).to.deep.equal([
      ['A', undefined],
      ['B', undefined],
      ['A', 1],
      ['B', 2],
    ]);
  });
});
