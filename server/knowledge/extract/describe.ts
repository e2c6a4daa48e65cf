/**
 * Names a refused file for a person: "a PNG image", "an Excel workbook".
 */

const NAMED: Record<string, string> = {
  jpg: 'a JPEG image',
  zip: 'a ZIP archive that is not a Word document',
  xlsx: 'an Excel workbook (xlsx)',
  pptx: 'a PowerPoint presentation (pptx)',
  odt: 'an OpenDocument text (odt)',
  ods: 'an OpenDocument spreadsheet (ods)',
  odp: 'an OpenDocument presentation (odp)',
  epub: 'an EPUB book',
  cfb: 'a legacy Office file (.doc, .xls or .ppt)',
  gz: 'a gzip archive',
  bz2: 'a bzip2 archive',
  xz: 'an xz archive',
  zst: 'a Zstandard archive',
  '7z': 'a 7-Zip archive',
  rar: 'a RAR archive',
  tar: 'a tar archive',
  sqlite: 'an SQLite database',
  rtf: 'an RTF document',
  ps: 'a PostScript file',
  eps: 'an EPS file',
  exe: 'a Windows program',
  elf: 'a Linux program',
  xml: 'an XML file',
};

const KIND: Record<string, string> = { image: 'image', audio: 'audio file', video: 'video', font: 'font' };

function article(label: string): string {
  // Letters read one by one whose names begin with a vowel sound: "an MP3", "an SVG".
  return /^[AEFHILMNORSX]/.test(label) || /^[aeiou]/.test(label) ? 'an' : 'a';
}

/**
 * Describes a detected file type (`file-type`'s ext and mime) with an
 * article, for an `unsupported_type` message. Unknown bytes are "binary data".
 */
export function describeType(type: { ext: string; mime: string } | undefined): string {
  if (!type) return 'binary data (not a PDF, not a Word document, and not UTF-8 or UTF-16 text)';
  const named = NAMED[type.ext];
  if (named) return named;
  const ext = type.ext.toUpperCase();
  const family = KIND[type.mime.split('/')[0]!];
  if (family) return `${article(ext)} ${ext} ${family}`;
  if (/zip|compressed|tar|x-7z|rar|gzip|bzip|xz|zstd|lz/.test(type.mime)) return `${article(ext)} ${ext} archive`;
  return `a file of type ${type.mime} (.${type.ext})`;
}

/** The `unsupported_type` message for a described file. */
export function unsupportedMessage(what: string): string {
  return `${what} is not a supported document type; upload txt, md, html, pdf or docx`;
}
