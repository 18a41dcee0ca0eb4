"""Put the shared package and each service's folder on the venv's path.

The services are applications, not distributions: a .pth file is all the
install they need, and it keeps editing a file the same as running it.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path


def main(folders: list[str]) -> None:
    root = Path(__file__).resolve().parent.parent
    site_packages = Path(sysconfig.get_paths()["purelib"])
    lines = [str(root / folder) for folder in folders]
    (site_packages / "office-procurement.pth").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
