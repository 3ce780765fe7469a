/**
 * uPlot's CSS and script as text to inline into a self-contained page (the report and the live
 * dashboard), so the page opens without a network.
 *
 * @module
 */

import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };

/**
 * Script text safe inside a `<script>` element (no `</script` in it).
 *
 * @example
 * ```ts
 * import { inlineScript } from "./uplot_assets.ts";
 * inlineScript('"</script>"'); // => '"<\\/script>"'
 * ```
 */
export function inlineScript(text: string): string {
  return text.replace(/<\/(script)/gi, "<\\/$1");
}

/** uPlot's stylesheet, for a `<style>` element. */
export const UPLOT_STYLE: string = uplotCss;

/** uPlot's browser build (defines `uPlot`), ready for a `<script>` element. */
export const UPLOT_SCRIPT: string = inlineScript(uplotJs);

/** The licence comment to put beside the inlined library. */
export const UPLOT_NOTICE =
  "<!-- uPlot, (c) Leon Sorokin, MIT License: https://github.com/leeoniya/uPlot -->";
