import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../service/logger.js';
import { redactCommandArgs, redactUrl, scrubber, secretsOf } from '../../service/redact.js';

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['redis://default:pass@host:6379/0', 'redis://***@host:6379/0'],
    ['redis://pass@host:6379', 'redis://***@host:6379'],
    ['rediss://:pass@host', 'rediss://***@host'],
    ['redis://default:a/b#c?d@host:notaport', 'redis://***@host:notaport'],
    ['redis://u:p@ss@host', 'redis://***@host'],
    ['redis://host:6379/2', 'redis://host:6379/2'],
  ];
  for (const [url, expected] of cases) {
    it(`hides the whole userinfo of ${url}`, () => expect(redactUrl(url)).to.equal(expected));
  }
});

describe('secretsOf', () => {
  it('lists the password and the URL password in each spelling', () => {
    const secrets = secretsOf({ redisUrl: 'redis://default:a%2Fb@host', redisPassword: 'p"w' });
    expect(secrets).to.include.members(['a%2Fb', 'a/b', 'p"w', 'p\\"w']);
    expect(secrets).not.to.include('default');
  });

  it('treats a lone user part as a password', () => {
    expect(secretsOf({ redisUrl: 'redis://lonely@host', redisPassword: undefined })).to.include('lonely');
  });

  it('is empty without credentials', () => {
    expect(secretsOf({ redisUrl: 'redis://host', redisPassword: undefined })).to.deep.equal([]);
  });
});

describe('scrubber', () => {
  it('replaces every occurrence, longest secret first', () => {
    expect(scrubber(['abcd', 'ab'])('x abcd ab abcd')).to.equal('x [redacted] [redacted] [redacted]');
  });
});

describe('redactCommandArgs', () => {
  it('replaces the arguments of commands at any depth and keeps their names', () => {
    const error = { message: 'x', command: { name: 'auth', args: ['pw'] }, cause: { errors: [{ command: { name: 'auth', args: ['pw2'] } }] } };
    expect(JSON.stringify(redactCommandArgs(error))).not.to.match(/pw/);
    expect(redactCommandArgs(error)).to.deep.include({ command: { name: 'auth', args: '[redacted]' } });
    expect(error.command.args).to.deep.equal(['pw']);
  });
});

describe('createLogger', () => {
  function capture(secrets?: string[]) {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { lines, logger: createLogger('trace', { destination, ...(secrets === undefined ? {} : { secrets }) }) };
  }

  it('writes errors without their Redis command arguments, and their causes too', () => {
    const { lines, logger } = capture();
    const inner = Object.assign(new Error('WRONGPASS'), { command: { name: 'auth', args: ['user', 'hunter2'] } });
    logger.warn({ err: new Error('outer', { cause: inner }) }, 'failed');
    logger.warn({ err: inner }, 'failed');
    expect(lines.join('')).not.to.include('hunter2');
    expect(lines.join('')).to.include('"name":"auth"');
  });

  it('scrubs configured secrets from every line, wherever they appear', () => {
    const { lines, logger } = capture(['hunter2']);
    logger.info({ anything: 'x hunter2 y' }, 'the hunter2 message');
    expect(lines.join('')).not.to.include('hunter2');
    expect(lines.join('')).to.include('[redacted]');
  });
});
