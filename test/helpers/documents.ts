/**
 * Builders for real test documents: PDFs through pdf-lib and Word files
 * (.docx) through jszip, for the extraction and ingestion tests.
 */
import JSZip from 'jszip';
import { PDFDocument, PDFHexString, PDFName, PDFNumber, rgb, StandardFonts } from 'pdf-lib';

const PAGE = { width: 595, height: 842, margin: 56, size: 12, leading: 16 }; // A4 in points

/** Escapes text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * A text PDF: one page per entry, its lines drawn in Helvetica 12 pt and
 * wrapped at word boundaries to the page width (a page that overflows goes
 * on to another). Helvetica covers WinAnsi only: no CJK, no emoji.
 * `title` sets the document information Title.
 */
export async function makePdf(pages: string[][], opts: { title?: string } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  if (opts.title !== undefined) doc.setTitle(opts.title);
  const width = PAGE.width - 2 * PAGE.margin;
  const wrap = (line: string): string[] => {
    const out: string[] = [];
    let current = '';
    for (const word of line.split(/\s+/).filter(Boolean)) {
      const next = current ? `${current} ${word}` : word;
      if (current && font.widthOfTextAtSize(next, PAGE.size) > width) {
        out.push(current);
        current = word;
      } else current = next;
    }
    out.push(current);
    return out;
  };
  for (const lines of pages) {
    let page = doc.addPage([PAGE.width, PAGE.height]);
    let y = PAGE.height - PAGE.margin;
    for (const row of lines.flatMap(wrap)) {
      if (y < PAGE.margin) {
        page = doc.addPage([PAGE.width, PAGE.height]);
        y = PAGE.height - PAGE.margin;
      }
      if (row) page.drawText(row, { x: PAGE.margin, y, size: PAGE.size, font });
      y -= PAGE.leading;
    }
  }
  return doc.save();
}

/** A one-page PDF with a filled rectangle and no text at all, like a scan without OCR. */
export async function makeImageOnlyPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([PAGE.width, PAGE.height]);
  page.drawRectangle({ x: 100, y: 300, width: 300, height: 200, color: rgb(0.2, 0.4, 0.8) });
  return doc.save();
}

/**
 * A text PDF whose trailer names a Standard security handler with a user
 * password nobody knows (pdf-lib cannot encrypt; this is what a reader
 * sees first): readers ask for a password instead of showing the text.
 */
export async function makeEncryptedLookingPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([PAGE.width, PAGE.height]).drawText('Secret text', { x: PAGE.margin, y: 700, size: PAGE.size, font });
  const hex32 = (seed: number) => PDFHexString.of(Array.from({ length: 32 }, (_, i) => ((i * 37 + seed) & 0xff).toString(16).padStart(2, '0')).join(''));
  const encrypt = doc.context.obj({ Filter: 'Standard', V: 1, R: 2, Length: 40, P: PDFNumber.of(-44) });
  encrypt.set(PDFName.of('O'), hex32(7));
  encrypt.set(PDFName.of('U'), hex32(11));
  doc.context.trailerInfo.Encrypt = doc.context.register(encrypt);
  doc.context.trailerInfo.ID = doc.context.obj([hex32(1), hex32(1)]);
  // A classic trailer: where readers look for /Encrypt first.
  return doc.save({ useObjectStreams: false });
}

/** One paragraph of {@link makeDocx}; `heading` uses Word's built-in Heading 1–3 styles. */
export interface DocxParagraph {
  text: string;
  heading?: 1 | 2 | 3;
}

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const REL = 'http://schemas.openxmlformats.org/package/2006/relationships';
const OFFICE_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

function paragraphXml({ text, heading }: DocxParagraph): string {
  const style = heading ? `<w:pPr><w:pStyle w:val="Heading${heading}"/></w:pPr>` : '';
  return `<w:p>${style}<w:r><w:t xml:space="preserve">${xmlEscape(text)}</w:t></w:r></w:p>`;
}

function headingStyle(level: number): string {
  return (
    `<w:style w:type="paragraph" w:styleId="Heading${level}"><w:name w:val="heading ${level}"/><w:basedOn w:val="Normal"/>` +
    `<w:pPr><w:outlineLvl w:val="${level - 1}"/></w:pPr><w:rPr><w:b/><w:sz w:val="${36 - level * 4}"/></w:rPr></w:style>`
  );
}

/**
 * A minimal valid Word document: [Content_Types].xml, _rels/.rels,
 * word/document.xml (+ styles and their relationship) and
 * docProps/core.xml, whose dc:title is `title` when given.
 */
export async function makeDocx(paragraphs: DocxParagraph[], opts: { title?: string } = {}): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
      '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>' +
      '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>' +
      '</Types>',
  );
  zip.file(
    '_rels/.rels',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="${REL}">` +
      `<Relationship Id="rId1" Type="${OFFICE_REL}/officeDocument" Target="word/document.xml"/>` +
      '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>' +
      '</Relationships>',
  );
  zip.file(
    'word/document.xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="${W}"><w:body>` +
      paragraphs.map(paragraphXml).join('') +
      '<w:sectPr/></w:body></w:document>',
  );
  zip.file(
    'word/_rels/document.xml.rels',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="${REL}">` +
      `<Relationship Id="rId1" Type="${OFFICE_REL}/styles" Target="styles.xml"/></Relationships>`,
  );
  zip.file(
    'word/styles.xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="${W}">` +
      '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>' +
      [1, 2, 3].map(headingStyle).join('') +
      '</w:styles>',
  );
  zip.file(
    'docProps/core.xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ' +
      'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">' +
      (opts.title !== undefined ? `<dc:title>${xmlEscape(opts.title)}</dc:title>` : '') +
      '<dc:creator>Onsite tests</dc:creator>' +
      '</cp:coreProperties>',
  );
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
}

/**
 * A small PDF that inflates to about `pages` × 225 KB: one deflated content
 * stream of 2,000 text lines (each at its own position, so pdf.js keeps
 * them all), shared by every page. 100 pages: a 60 KB file, 22 MB of
 * content and 17 million characters of text for pdf.js to work through.
 */
export async function makeInflatingPdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const first = doc.addPage([PAGE.width, PAGE.height]);
  first.drawText('Inflating', { x: PAGE.margin, y: 800, size: PAGE.size, font });
  const resources = first.node.Resources()!;
  const fontName = [...first.node.normalizedEntries().Font.keys()][0]!.asString();
  let body = '';
  for (let i = 0; i < 2_000; i++) {
    body += `1 0 0 1 ${10 + (i % 13) * 2} ${(830 - ((i * 0.37) % 820)).toFixed(2)} Tm (Line ${i} lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod) Tj\n`;
  }
  const contents = doc.context.register(doc.context.flateStream(`BT ${fontName} 4 Tf\n${body}ET\n`));
  first.node.set(PDFName.of('Contents'), contents);
  for (let p = 1; p < pages; p++) {
    const page = doc.addPage([PAGE.width, PAGE.height]);
    page.node.set(PDFName.of('Contents'), contents);
    page.node.set(PDFName.of('Resources'), resources);
  }
  return doc.save();
}
