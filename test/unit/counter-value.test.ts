import { expect } from 'chai';
import { isRedisInteger } from '../../service/counter.js';

describe('isRedisInteger', () => {
  for (const value of ['0', '1', '-1', '42', '9223372036854775807', '-9223372036854775808']) {
    it(`accepts ${value}`, () => expect(isRedisInteger(value)).to.equal(true));
  }
  for (const value of ['', 'abc', '1.5', '01', '-0', ' 1', '1 ', '+1', '9223372036854775808', '-9223372036854775809', '1e3']) {
    it(`rejects ${JSON.stringify(value)}`, () => expect(isRedisInteger(value)).to.equal(false));
  }
});
