"""Exports of text no font has a glyph for, with and without the DejaVu fonts installed."""

import io
import os
import subprocess

from pypdf import PdfReader

from tests.reception_support import PYTHON, ROOT, save_conversation, tracker_store, user

UNUSUAL = "Thandi’s “lower back” – sore 😖 since Tuesday; Ngiyabonga"
EXPORT = """
import sys
from reception.conversations import ConversationStore
from reception.db import reception_engine
from reception.exports import pdf_export
store = ConversationStore(reception_engine(sys.argv[1]), None)
sys.stdout.buffer.write(pdf_export(store.transcript("unusual"), False, "Practice", "unusual"))
"""


def _pdf_text(tmp_path, font_dir):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = tracker_store(url)
    save_conversation(store, "unusual", [user(UNUSUAL, 1_700_000_000.0)])
    store.engine.dispose()
    # A fresh process: the font folder is read when the module is imported.
    result = subprocess.run([PYTHON, "-c", EXPORT, url], cwd=ROOT, capture_output=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT),
                                 "RECEPTION_PDF_FONT_DIR": str(font_dir)}, timeout=60)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(result.stdout)).pages)


def test_pdf_keeps_unicode_words_with_dejavu(tmp_path):
    text = _pdf_text(tmp_path, "/usr/share/fonts/truetype/dejavu")
    assert "Thandi’s “lower back” – sore" in text and "Ngiyabonga" in text


def test_pdf_still_exports_without_unicode_fonts(tmp_path):
    text = _pdf_text(tmp_path, tmp_path / "no-fonts-here")
    assert "lower back" in text and "Ngiyabonga" in text
