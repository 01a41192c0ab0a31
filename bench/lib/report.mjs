// What the bench scripts print: Markdown tables, and PASS/FAIL per target.

/** A Markdown table, first column left-aligned, the others right-aligned. */
export function table(head, rows) {
  const cells = [head, ...rows].map((row) => row.map(String));
  const widths = head.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

/** Collects targets; `print()` lists them as PASS/FAIL and sets a failing exit code. */
export function createTargets() {
  const targets = [];
  return {
    target(description, ok, detail) {
      targets.push({ description, ok, detail });
    },
    print(title = 'Targets') {
      console.log(`\n${title}\n`);
      for (const t of targets) console.log(`${t.ok ? 'PASS' : 'FAIL'}  ${t.description}: ${t.detail}`);
      if (targets.some((t) => !t.ok)) process.exitCode = 1;
    },
  };
}
