import { expect } from 'chai';
import { classifyRedisError, toAppError } from '../../service/redis-errors.js';

describe('classifyRedisError', () => {
  const cases: Array<[string, Error, string]> = [
    ['a command timeout', new Error('Command timed out'), 'timeout'],
    ['a closed offline queue', new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'unavailable'],
    ['a connection closed for good with the command in flight', new Error('Connection is closed.'), 'connection_lost'],
    [
      'a connection dropped with the command in flight',
      new Error('Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.'),
      'connection_lost',
    ],
    ['a refused password', new Error('WRONGPASS invalid username-password pair or user is disabled.'), 'unavailable'],
    ['a missing password', new Error('NOAUTH Authentication required.'), 'unavailable'],
    ['a socket error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'unavailable'],
    ['a key of another type', new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), 'not_integer'],
    ['a string that is no integer', new Error('ERR value is not an integer or out of range'), 'not_integer'],
    ['an overflow', new Error('ERR increment or decrement would overflow'), 'overflow'],
    ['anything else', new Error('ERR unknown command'), 'other'],
  ];
  for (const [what, error, kind] of cases) {
    it(`classifies ${what} as ${kind}`, () => expect(classifyRedisError(error)).to.equal(kind));
  }
});

describe('toAppError', () => {
  it('answers 503 with Retry-After for an unavailable Redis', () => {
    const error = toAppError('unavailable', 'count', 1000, undefined);
    expect(error).to.include({ status: 503, code: 'REDIS_UNAVAILABLE', expose: true });
    expect(error.headers).to.deep.equal({ 'Retry-After': '1' });
  });
  it('says that a command cut off by a lost connection may have been applied', () => {
    const error = toAppError('connection_lost', 'count', 1000, undefined);
    expect(error).to.include({ status: 503, code: 'REDIS_CONNECTION_LOST', expose: true });
    expect(error.message).to.equal('Redis closed the connection before answering; the command may have been applied');
    expect(error.headers).to.deep.equal({ 'Retry-After': '1' });
  });
  it('names the timeout in the message', () => {
    expect(toAppError('timeout', 'count', 250, undefined).message).to.equal('Redis did not answer within 250 ms; retry later');
  });
  it('names the key when its value is not an integer', () => {
    const error = toAppError('not_integer', 'visits', 1000, undefined);
    expect(error).to.include({ status: 409, code: 'COUNTER_NOT_INTEGER' });
    expect(error.message).to.equal('Redis key "visits" holds a value that is not an integer; it was left unchanged');
  });
  it('hides the message of an unexpected error', () => {
    expect(toAppError('other', 'count', 1000, new Error('secret detail'))).to.include({ status: 500, expose: false });
  });
});
