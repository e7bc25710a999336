/**
 * Where the suite points: BASE_URL (e.g. http://reas-api:5000 in a cluster, http://api:5000 in
 * compose). E2E_EXCLUSIVE=true adds the checks that need a deployment nobody else is using.
 */
const raw = process.env.BASE_URL;
if (raw === undefined || raw === '') {
  throw new Error('BASE_URL is not set: point it at a running reas, e.g. BASE_URL=http://127.0.0.1:5000 npm run test:e2e');
}
export const baseUrl = raw.replace(/\/+$/, '');
export const exclusive = process.env.E2E_EXCLUSIVE === 'true';

export async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(baseUrl + path, { method, headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Undoes increments even when an assertion fails half-way, so the suite's net effect is zero. */
export class Ledger {
  private incs = 0;
  async inc(): Promise<{ status: number; body: string }> {
    const res = await call('POST', '/inc');
    if (res.status === 200) this.incs += 1;
    return res;
  }
  async dec(): Promise<{ status: number; body: string }> {
    const res = await call('POST', '/dec');
    if (res.status === 200) this.incs -= 1;
    return res;
  }
  async settle(): Promise<void> {
    while (this.incs > 0) {
      const res = await this.dec();
      if (res.status !== 200) throw new Error(`could not undo an increment: ${res.status} ${res.body}`);
    }
    while (this.incs < 0) {
      const res = await this.inc();
      if (res.status !== 200) throw new Error(`could not undo a decrement: ${res.status} ${res.body}`);
    }
  }
}
