/**
 * `npm run synth` prints this instead of the template (cdk.out/<stack>.template.json has it): the
 * stack, its resources by type, and cdk-nag's verdict: cdk-nag fails the synth on any unacknowledged
 * finding, so reaching here means none.
 *
 *   tsx infra/synthSummary.ts [cdk.out]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Template {
  Resources: Record<string, { Type: string }>;
  Outputs?: Record<string, unknown>;
}

/** The summary lines for every stack template in a cloud assembly folder. */
export function summarize(outdir: string): string[] {
  const lines: string[] = [];
  for (const file of readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .sort()) {
    const t = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as Template;
    const resources = Object.values(t.Resources);
    const byType = new Map<string, number>();
    for (const r of resources) byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
    lines.push(
      `${file.replace('.template.json', '')}: ${resources.length} resources, ${Object.keys(t.Outputs ?? {}).length} outputs (template: ${join(outdir, file)})`,
    );
    const types = [...byType].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    for (const [type, n] of types) lines.push(`  ${String(n).padStart(3)}  ${type}`);
    lines.push(
      '  cdk-nag AwsSolutions: no unacknowledged findings (the acknowledged ones, with reasons: infra/nag.ts)',
    );
  }
  if (lines.length === 0) throw new Error(`no stack template in ${outdir}`);
  return lines;
}

if (require.main === module) console.log(summarize(process.argv[2] ?? 'cdk.out').join('\n'));
