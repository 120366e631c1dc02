"""The ``gnll`` command of the installed wheel: the bundled ``gnll`` binary, run in this process's place."""

import os
import sys
from pathlib import Path

# Where Tools/build_wheel.sh puts the binary; its golden files are in ../golden beside it.
BINARY = Path(__file__).resolve().parent / "bin" / "gnll"


def main() -> None:
    """Replace this process with the bundled binary (``exec``), so that the arguments, stdin, stdout and stderr,
    signals and the exit status are the binary's own."""
    if not os.access(BINARY, os.X_OK):
        print(
            f"error: no gnll binary at {BINARY}: this gnll package is not an installed wheel "
            "(build one with Tools/build_wheel.sh, or run .build/release/gnll in a source tree)",
            file=sys.stderr,
        )
        sys.exit(2)
    os.execv(BINARY, [str(BINARY), *sys.argv[1:]])


if __name__ == "__main__":
    main()
