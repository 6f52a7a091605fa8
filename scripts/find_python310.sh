#!/usr/bin/env bash
# Prints the path of a working Python 3.10 (PATH first, then pyenv), or explains what to install.
set -euo pipefail
for candidate in python3.10 "$(command -v pyenv >/dev/null 2>&1 && ls -d "$(pyenv root)"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V | tail -n 1)"; do
  if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    "$candidate" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "Python 3.10 is required (Rasa 3.6 supports 3.8-3.10) and none was found." >&2
echo "Install it, e.g. 'pyenv install 3.10.13' or your distribution's python3.10 and python3.10-venv packages, then run make again." >&2
exit 1
