"""The bulletin's A4 PDF: the HTML printed by the system's headless Chromium, driven by
Playwright (which never downloads a browser here). Chromium writes the clock into the PDF's
CreationDate and ModDate; both are replaced, at the same length, by the bulletin's as_of so the
same HTML gives the same PDF bytes."""

from __future__ import annotations

import re
import shutil
from datetime import date

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")


def chromium_path(configured: str | None = None) -> str:
    if configured:
        return configured
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "no Chromium to print the bulletin's PDF: install Debian's chromium "
        "(apt-get install -y chromium) or set PROJLEDGER_CHROMIUM"
    )


def _fixed_dates(pdf: bytes, as_of: date) -> bytes:
    def stamp(match: re.Match) -> bytes:
        original = match.group(0)
        fixed = b"/" + match.group(1) + b" (D:" + as_of.strftime("%Y%m%d000000").encode()
        fixed += b"+08'00')"
        # Same length keeps the cross-reference offsets valid.
        return fixed if len(fixed) == len(original) else original

    return _PDF_DATE.sub(stamp, pdf)


def print_pdf(html: str, as_of: date, chromium: str | None = None) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(chromium))
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            page.emulate_media(media="print")
            pdf = page.pdf(
                format="A4",
                print_background=True,
                prefer_css_page_size=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=(
                    '<div style="font-size:8px;width:100%;text-align:center;color:#666">'
                    '第 <span class="pageNumber"></span> 页 / '
                    '共 <span class="totalPages"></span> 页'
                    "</div>"
                ),
            )
        finally:
            browser.close()
    return _fixed_dates(pdf, as_of)
