/**
 * Judges kube-score's and checkov's findings (written by test/chart-tools/run.sh into the directory given) against
 * allow-list.yaml: each finding must match an entry (tool, check, kind), each entry must match a finding. Prints the
 * counts per tool; exits 1 on a finding without an entry or an entry without a finding.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Entry {
  tool: 'kube-score' | 'checkov';
  /** kube-score: the finding's text without the container name; checkov: the check id. */
  check: string;
  /** Object kinds it applies to. */
  kinds: string[];
  reason: string;
}

interface Finding {
  tool: Entry['tool'];
  check: string;
  kind: string;
  object: string;
  file: string;
}

const dir = process.argv[2] ?? '';
const entries = parse(readFileSync(new URL('./allow-list.yaml', import.meta.url), 'utf8')) as Entry[];
for (const entry of entries) {
  if (!entry.reason || entry.reason.trim().length < 30) throw new Error(`allow-list: ${entry.tool} ${entry.check} needs a reason`);
}

const findings: Finding[] = [];
// `[CRITICAL] reas-api apps/v1/Deployment: (api) CPU limit is not set`
const LINE = /^\[(CRITICAL|WARNING)\] (\S+) (?:[a-z0-9.]+\/)?v1\/(\w+): (?:\([^)]*\) )?(.*)$/;
for (const name of readdirSync(dir).filter((file) => file.startsWith('kube-score-'))) {
  for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
    const match = LINE.exec(line);
    if (match !== null) findings.push({ tool: 'kube-score', check: match[4] ?? '', kind: match[3] ?? '', object: match[2] ?? '', file: name });
    else if (/^\[(CRITICAL|WARNING)\]/.test(line)) throw new Error(`kube-score: unparsed line ${line}`);
  }
}
const checkov = JSON.parse(readFileSync(join(dir, 'checkov.json'), 'utf8')) as unknown;
for (const report of Array.isArray(checkov) ? checkov : [checkov]) {
  const failed = (report as { results?: { failed_checks?: { check_id: string; resource: string; file_path: string }[] } }).results?.failed_checks ?? [];
  for (const check of failed) {
    const [kind = '', , object = ''] = check.resource.split('.');
    findings.push({ tool: 'checkov', check: check.check_id, kind, object, file: check.file_path });
  }
}

const used = new Set<Entry>();
const unexplained = findings.filter((finding) => {
  const entry = entries.find((candidate) => candidate.tool === finding.tool && candidate.check === finding.check && candidate.kinds.includes(finding.kind));
  if (entry === undefined) return true;
  used.add(entry);
  return false;
});
const stale = entries.filter((entry) => !used.has(entry));

for (const tool of ['kube-score', 'checkov'] as const) {
  const all = findings.filter((finding) => finding.tool === tool);
  console.log(`${tool}: ${all.length} findings over the renders, ${all.length - unexplained.filter((f) => f.tool === tool).length} allow-listed with a reason, ${unexplained.filter((f) => f.tool === tool).length} new`);
}
for (const finding of unexplained) console.log(`NEW ${finding.tool} ${finding.check} on ${finding.kind}/${finding.object} (${finding.file})`);
for (const entry of stale) console.log(`STALE allow-list entry: ${entry.tool} ${entry.check} [${entry.kinds.join(', ')}] matches no finding`);
if (unexplained.length > 0 || stale.length > 0) {
  console.log('fix the chart, or add the finding to test/chart-tools/allow-list.yaml with its reason');
  process.exit(1);
}
