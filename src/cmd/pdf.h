/*
 * pdf.h — printing an HTML document to PDF with headless Chromium's
 * print-to-PDF, for `scanq export --format html --pdf`.  Chromium is
 * found once, in SCANQ_CHROMIUM or on PATH (chromium, chromium-browser,
 * google-chrome, google-chrome-stable); it runs as a child process (no
 * shell) with its own throw-away profile in a private temporary folder,
 * which is removed afterwards.
 */
#ifndef SCANQ_CMD_PDF_H
#define SCANQ_CMD_PDF_H

#include <stddef.h>

#define PDF_TIMEOUT_S 120	/* Chromium is killed past this */

/* Chromium's path into buf: 0, or -1 when none is installed (buf then
 * holds a one-line reason). */
int pdf_find_chromium(char *buf, size_t len);

/*
 * Prints the `len` bytes of `html` to the PDF file `out` with Chromium at
 * `chromium`.  `out` is written only when the PDF is complete (a file
 * starting with "%PDF-"), by rename.  Returns 0, or -1 with a one-line
 * reason in err.
 */
int pdf_render(const char *chromium, const char *html, size_t len, const char *out, char *err,
	       size_t errlen);

#endif
