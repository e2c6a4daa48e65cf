import type { EnvEntry } from './entries.ts';

/** The variables a `.env` text sets, as compose reads them (the last occurrence wins). */
export function parseEnvText(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, ''); // an unquoted value's inline comment
    values.set(m[1]!, value);
  }
  return values;
}

function wrap(text: string, width = 78): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.length + 1 + word.length > width && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  if (line !== '#') lines.push(line);
  return lines;
}

/** Renders entries as `.env` lines: a comment above each, a header above each section. */
export function renderEntries(entries: EnvEntry[], values: ReadonlyMap<string, string>): string[] {
  const lines: string[] = [];
  let section = '';
  for (const entry of entries) {
    if (entry.section !== section) {
      section = entry.section;
      lines.push('', `# ---- ${section} ----`);
    }
    lines.push(...wrap(entry.comment), `${entry.key}=${values.get(entry.key) ?? entry.value}`);
  }
  return lines;
}

/** The result of bringing a `.env` text up to date. */
export interface EnvUpdate {
  text: string;
  /** Keys that were absent and are now added. */
  added: string[];
  /** Secrets whose line was there with an empty value and now has one. */
  filled: string[];
  /** Keys left exactly as they were. */
  kept: string[];
  /** Every value the file now sets. */
  values: Map<string, string>;
}

/**
 * Brings a `.env` text up to date without changing anything already there:
 * every existing line, value and comment stays byte for byte; absent keys
 * are appended with their comments; a secret whose line exists with an
 * empty value (a copied .env.example) gets a value in place. A secret given
 * as `NAME_FILE` instead is left alone. `fresh` values (generated secrets,
 * defaults from options) are used only for what is missing.
 */
export function updateEnvText(existing: string, entries: EnvEntry[], fresh: (entry: EnvEntry) => string, stamp: string): EnvUpdate {
  const eol = existing.includes('\r\n') ? '\r\n' : '\n';
  const lines = existing === '' ? [] : existing.replace(/\r?\n$/, '').split(/\r?\n/);
  const current = parseEnvText(existing);
  const update: EnvUpdate = { text: existing, added: [], filled: [], kept: [], values: new Map(current) };
  const missing: EnvEntry[] = [];
  for (const entry of entries) {
    const value = current.get(entry.key);
    const viaFile = entry.kind === 'secret' && Boolean(current.get(`${entry.key}_FILE`));
    if (value === undefined && !viaFile) missing.push(entry);
    else if (value === '' && entry.kind === 'secret' && !viaFile) {
      const v = fresh(entry);
      const at = lines.findLastIndex((l) => new RegExp(`^\\s*(?:export\\s+)?${entry.key}\\s*=`).test(l));
      lines[at] = `${entry.key}=${v}`;
      update.values.set(entry.key, v);
      update.filled.push(entry.key);
    } else update.kept.push(entry.key);
  }
  if (missing.length === 0 && update.filled.length === 0) return update;
  const added = new Map(missing.map((e) => [e.key, fresh(e)]));
  for (const [k, v] of added) update.values.set(k, v);
  update.added = missing.map((e) => e.key);
  const tail = missing.length === 0 ? [] : ['', `# Added by onsite init (${stamp}):`, ...renderEntries(missing, added)];
  update.text = [...lines, ...tail].join(eol) + eol;
  return update;
}
