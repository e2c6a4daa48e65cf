import type { CDPSession } from 'puppeteer-core';
import { readEmbedded } from '../server/kernel/embedded.ts';
import { MAX_LINKS, MAX_TEXT_CHARS } from '../server/kernel/protocol/browser.ts';

/** Mozilla's Readability, shipped inside the binary and run in the page. */
export const READABILITY_ASSET = 'node_modules/@mozilla/readability/Readability.js';

/** Our extraction script (plain JavaScript), shipped the same way. */
export const EXTRACT_ASSET = 'browser/page-scripts/extract.js';

let script: string | undefined;

/** What the reader takes from a rendered page. */
export interface PageContent {
  title: string;
  text: string;
  textTruncated: boolean;
  links: Array<{ url: string; text: string }>;
}

/**
 * Reads title, main text and links from the page the session belongs to.
 * The scripts run in an isolated world, so a hostile page cannot patch the
 * functions they call; it can only lie about its own content.
 */
export async function readPage(session: CDPSession): Promise<PageContent> {
  script ??= `${readEmbedded(READABILITY_ASSET).toString('utf8')}\n;${readEmbedded(EXTRACT_ASSET).toString('utf8')}\n;onsiteExtract(${MAX_TEXT_CHARS}, ${MAX_LINKS})`;
  const { frameTree } = await session.send('Page.getFrameTree');
  const { executionContextId } = await session.send('Page.createIsolatedWorld', { frameId: frameTree.frame.id, worldName: 'onsite-reader' });
  const result = await session.send('Runtime.evaluate', { expression: script, contextId: executionContextId, returnByValue: true });
  if (result.exceptionDetails) {
    throw new Error(`reading the page failed: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`);
  }
  return result.result.value as PageContent;
}
