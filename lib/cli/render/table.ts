/**
 * Go's text/tabwriter as runc configures it (minwidth 12, padding 3, spaces): every
 * column but the last is padded to max(12, widest cell + 3).
 */
export function formatTabTable(rows: readonly (readonly string[])[], opts = { minWidth: 12, padding: 3 }): string {
  const widths: number[] = []
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? opts.minWidth, cell.length + opts.padding)
    })
  }
  return rows.map(row => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]) : cell)).join('') + '\n').join('')
}
