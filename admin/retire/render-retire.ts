import type { RetirePlan } from './retire-plan.js';

/** One line on what Temporal said about the versions a change touched. */
export function retireCheckLine(plan: RetirePlan): string {
  if (!plan.usage.checked) return `Temporal was not checked (${plan.usage.reason}).\n`;
  return (
    plan.usage.versions
      .map((v) => {
        const closed = v.closed === null ? 'closed not read' : `${v.closed.subjects} closed within retention`;
        return `Temporal: version ${v.version} is named by ${v.open.subjects} open workflows, ${v.schedules.subjects} schedules, ${closed}.`;
      })
      .join('\n') + '\n'
  );
}

/** `--dry-run` of `keys deactivate|destroy` for people. */
export function renderRetirePlan(plan: RetirePlan): string {
  const lines = [
    `Dry run: ${plan.action} version ${plan.version} of ${plan.keyId} (${plan.source}); nothing was changed.`,
  ];
  lines.push(plan.changes.length === 0 ? 'It would change nothing.' : 'It would change:');
  for (const change of plan.changes) lines.push(`  ${change}`);
  if (plan.refusals.length > 0) {
    lines.push(plan.force ? 'Refusals overridden by --force:' : 'It is refused (--force overrides):');
    for (const refusal of plan.refusals) lines.push(`  [${refusal.code}] ${refusal.message}`);
  }
  lines.push(plan.proceeds ? 'Without --dry-run it would go ahead.' : 'Without --dry-run it would be refused.');
  return `${lines.join('\n')}\n${retireCheckLine(plan)}`;
}
