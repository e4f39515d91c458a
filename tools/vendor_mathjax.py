"""Vendor MathJax 3 from the npm registry so the book typesets math offline.

``python tools/vendor_mathjax.py book/_vendor/mathjax`` downloads ``mathjax@3.2.2`` with
``npm pack``, checks the registry's sha512 integrity, and extracts the CHTML bundle, its fonts
and the lazily loaded TeX extensions (about 3 MB; Apache-2.0). Nothing is committed.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.2.2"
INTEGRITY = (
    "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/"
    "O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
)
KEEP = ("es5/tex-mml-chtml.js", "es5/input/tex/extensions/", "es5/output/chtml/fonts/woff-v2/",
        "es5/ui/", "es5/a11y/", "LICENSE")


def main(dest: str) -> None:
    target = Path(dest)
    if (target / "tex-mml-chtml.js").exists():
        return
    if shutil.which("npm") is None:
        sys.exit("npm is needed once to vendor MathJax (apt-get install npm, or install Node.js)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", f"mathjax@{VERSION}"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = Path(tmp) / f"mathjax-{VERSION}.tgz"
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()
        if digest != INTEGRITY:
            sys.exit(f"MathJax tarball integrity mismatch: {digest} != {INTEGRITY}")
        staging = Path(tmp) / "out"
        with tarfile.open(tgz) as tar:
            for member in tar.getmembers():
                name = member.name.removeprefix("package/")
                if member.isfile() and any(name == k or name.startswith(k) for k in KEEP):
                    out = staging / name.removeprefix("es5/")
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(tar.extractfile(member).read())
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(staging), target)
    print(f"vendored MathJax {VERSION} into {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "book/_vendor/mathjax")
