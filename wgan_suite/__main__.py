import sys

from wgan_suite.cli import console

sys.exit(console())
