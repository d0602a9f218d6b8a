"""Rebuilds NotoSansCJKtc-Names.otf: the Traditional Chinese face of Debian's fonts-noto-cjk,
subset to every character of Big5 with its CP950 and HKSCS extensions, all the CJK Unified
Ideographs of the Basic Multilingual Plane (U+4E00–U+9FFF: the characters of nearly every name,
堃 and 喆 among them, which Big5 lacks), ASCII and the CJK and full-width punctuation —
5.7 MB instead of 20 MB; PDFs embed only the glyphs they use.

    apt-get download fonts-noto-cjk && dpkg -x fonts-noto-cjk_*.deb x
    python3 -m venv v && v/bin/pip install fonttools
    v/bin/python assets/fonts/subset.py x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
"""

import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

chars = set()
for lead in range(0x81, 0xFF):
    for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
        for encoding in ("big5", "cp950", "big5hkscs"):
            try:
                chars.add(bytes([lead, trail]).decode(encoding))
            except UnicodeDecodeError:
                pass
chars |= {chr(c) for c in range(0x4E00, 0xA000)}
chars |= {chr(c) for c in range(0x20, 0x7F)}
chars |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF00, 0xFFF0)}

font = next(f for f in TTCollection(sys.argv[1]).fonts if f["name"].getDebugName(4) == "Noto Sans CJK TC")
options = subset.Options()
options.layout_features = []
options.notdef_outline = True
options.hinting = False
options.name_IDs = ["*"]
subsetter = subset.Subsetter(options)
subsetter.populate(text="".join(sorted(c for c in chars if len(c) == 1)))
subsetter.subset(font)
font.save("assets/fonts/NotoSansCJKtc-Names.otf")
