/**
 * One CSV cell (RFC 4180), safe to open in a spreadsheet: a text starting
 * with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`,
 * because spreadsheet programs run such cells as formulas. Objects are
 * written as JSON; null and undefined as an empty cell.
 */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV text: the header row, then one row per record, CRLF line ends. */
export function csvText(columns: readonly string[], rows: unknown[][]): string {
  return `${[columns.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n')}\r\n`;
}
