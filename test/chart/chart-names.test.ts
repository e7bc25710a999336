import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CHART_DIR } from './chart-cases.js';

describe('helm chart: names', () => {
  const source = readFileSync(join(CHART_DIR, 'templates/_names.tpl'), 'utf8');

  for (const sub of ['api', 'redis']) {
    it(`keeps charts/${sub}/templates/_names.tpl a plain copy of templates/_names.tpl`, () => {
      const copy = join(CHART_DIR, 'charts', sub, 'templates/_names.tpl');
      expect(lstatSync(copy).isSymbolicLink(), `${copy} is a symbolic link`).to.equal(false);
      expect(readFileSync(copy, 'utf8'), `copy templates/_names.tpl over charts/${sub}/templates/_names.tpl`).to.equal(source);
    });
  }
});
