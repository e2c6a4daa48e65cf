// What browser/page-scripts/*.js find in the fetched page's isolated world (checked by tsconfig.browser.json).
import type { Readability as MozillaReadability } from '@mozilla/readability';

declare global {
  /** Mozilla's Readability, defined in that world just before the page script (browser/page-content.ts). */
  const Readability: typeof MozillaReadability;
}
