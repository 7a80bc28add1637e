"""Offline stand-in for the pip bootstrap script that ansible-test downloads from outside PyPI.

ansible-test creates each sanity virtualenv without pip, then runs a cached ``get_pip_<ver>.py``
with pip options and the packages to install (``pip==<ver>`` among them). Our machines reach
PyPI only, so this script gives the virtualenv pip from the interpreter's own ``ensurepip`` and
then lets that pip install the requested packages from PyPI.
"""
import subprocess
import sys

# Flags that only the upstream bootstrap script understands.
BOOTSTRAP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}


def main() -> None:
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
    pip_args = [arg for arg in sys.argv[1:] if arg not in BOOTSTRAP_ONLY_FLAGS]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *pip_args])


if __name__ == "__main__":
    main()
