"""Rewrite the golden files after a deliberate change of layout or commands:
    .venv/bin/python tests/printer/make_golden.py
then look at the diff of the decoded text before committing."""

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from conftest import make_materials, make_ticket  # noqa: E402 (tests/printer/conftest.py)

from printer import open_printer  # noqa: E402

(HERE / "golden").mkdir(exist_ok=True)
(HERE / "golden" / "ticket_text_576.bin").write_bytes(open_printer("dummy:").print_ticket(make_ticket()))
(HERE / "golden" / "materials_text_384.bin").write_bytes(
    open_printer("dummy:?width=384").print_materials(make_materials()))
# No native QR and no cutter: the QR drawn with its quiet zone, fed over with GS P / ESC J, torn off.
(HERE / "golden" / "ticket_text_384_pos5890.bin").write_bytes(
    open_printer("dummy:?profile=POS-5890").print_ticket(make_ticket()))
print("golden files written")
